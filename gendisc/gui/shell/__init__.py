"""The window around the panels: the application, the main window, its docks and menus (declared as data),
the dialogs of the app (preferences, crashes), the theme and the platform check."""
