"""Widgets render state handed to them; none of them fetches anything."""
