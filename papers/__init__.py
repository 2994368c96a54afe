"""The catalogue: papers, journals, authors, funders, categories and keywords; their import
from the registries (Crossref, DataCite, OpenAlex, arXiv), the related-papers lists and
search. The base layer: it imports no other app of ours (see the README's architecture)."""
