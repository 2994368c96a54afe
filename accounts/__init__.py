"""Identity: users and sign-in, researcher profiles, ORCID, email preferences and sending,
and claims of authorship. Built on papers; the apps above it (reviews, recommendations)
act on its events through signals such as ``accounts.claims.author_verified``."""
