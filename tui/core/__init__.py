"""The Zuora client and its data model. Depends on httpx only; never imports Textual."""
