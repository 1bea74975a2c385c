"""The polling engine: keeps many runs fresh without overlap or stampede. No Textual here."""
