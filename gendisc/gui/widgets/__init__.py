"""Reusable leaves: the canvas, image grids, plots, probability bars, dialogs; nothing here knows the session."""
