"""Personal recommendations and email digests: what each researcher is shown ("For you",
``picks``) and emailed (``digests``), with "not relevant" from the page, the API and the
email, the admin's send log and digest preview, and their tasks and commands.

The layer above reviews: it may import ``reviews``, ``accounts`` and ``papers``, never
``portal``. Nothing below imports it: ``portal`` composes it into the site (URLs, API).
"""
