"""The session layer: QObject models with signals for what several panels share (:class:`.session.Session` holds
them all and wires them together). No widget here: panels observe these models."""
