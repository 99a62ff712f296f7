"""The Textual user interface: a wizard over the same core the CLI uses.

Nothing heavy is imported here; `onboard.ui.app.make_app` builds the application.
"""
