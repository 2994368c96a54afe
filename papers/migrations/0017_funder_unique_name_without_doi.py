"""One funder per name (in any case) among funders without a registry DOI, so that
concurrent imports (papers.bulk, papers.ingest) cannot create the same funder twice.

Data check first: funders without a DOI whose names are equal in any case are merged into
the oldest of them, which takes their fundings (a paper funded by two of them keeps one
funding, with the award numbers of both). Each merge is printed, so the operator sees what
changed.
"""

from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import Lower


def merge_duplicate_funders(apps, schema_editor):
    Funder = apps.get_model("papers", "Funder")
    Funding = apps.get_model("papers", "Funding")
    rows = Funder.objects.filter(funder_doi=None).annotate(key=Lower("name"))
    duplicated = rows.values("key").annotate(n=Count("pk")).filter(n__gt=1)
    for key in duplicated.values_list("key", flat=True):
        funders = list(rows.filter(key=key).order_by("pk"))
        keep, ids = funders[0], [other.pk for other in funders[1:]]
        for funding in Funding.objects.filter(funder_id__in=ids).order_by("pk"):
            kept = Funding.objects.filter(paper_id=funding.paper_id, funder_id=keep.pk).first()
            if kept is None:
                funding.funder_id = keep.pk
                funding.save(update_fields=["funder"])
            else:
                kept.awards = list(dict.fromkeys([*kept.awards, *funding.awards]))
                kept.save(update_fields=["awards"])
                funding.delete()
        Funder.objects.filter(pk__in=ids).delete()
        print(f"\n  merged funders {ids} into {keep.pk} (same name {keep.name!r})", end="")
    if schema_editor.connection.vendor == "postgresql":
        # The moved fundings' foreign-key checks are deferred to the commit; PostgreSQL
        # builds no index on a table with checks pending, so they run now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0016_list_keys_cover_their_columns"),
    ]

    operations = [
        migrations.RunPython(merge_duplicate_funders, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="funder",
            constraint=models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(funder_doi=None),
                name="papers_funder_name_without_doi_unique",
            ),
        ),
    ]
