"""``{{ value|safe_link }}``: the stored link if it may be an href, else "" (papers.links)."""

from django import template

from papers.links import safe_link as check_link

register = template.Library()


@register.filter
def safe_link(value):
    """Rows stored before links were checked may hold javascript: and the like; show none."""
    return check_link(value) or ""
