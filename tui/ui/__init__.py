"""The Textual UI: screens and widgets on top of the headless core. The only layer that imports Textual."""
