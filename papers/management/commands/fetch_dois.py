import re
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from papers import metadata
from papers.records import RecordError

# " # comment" after a DOI; a DOI holds no space, so the "#" of a DOI like "10.1/a#b" stays.
TRAILING_COMMENT = re.compile(r"\s+#.*$")


class Command(BaseCommand):
    help = (
        "Add papers by DOI from FILE, a text file with one DOI a line in any accepted form "
        "(10.1234/abc, doi:10.1234/abc, https://doi.org/10.1234/abc; any case). Blank lines, "
        'lines starting with "#" and a trailing " # comment" are ignored; FILE "-" reads '
        "standard input. Each new DOI is added as a pending paper and its metadata is fetched "
        "in the background by the workers (Crossref, then DataCite); a DOI already in the "
        "catalogue is left as it is. Prints a progress bar on stderr, then "
        '"N added, M already in the catalogue, K invalid" and each invalid line with its '
        "number and the reason. Exits non-zero only if FILE cannot be read or every line "
        "was invalid."
    )
    # call_command(..., stdin=StringIO(...)) in tests, as Django's createsuperuser takes it.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "file", metavar="FILE", help='a text file of DOIs, one a line; "-" for stdin'
        )

    def handle(self, *args, file, **options):
        name = "standard input" if file == "-" else file
        lines = read_lines(file, stdin=options.get("stdin") or sys.stdin, name=name)
        entries = list(doi_lines(lines))
        progress = tqdm(
            entries,
            desc="Adding",
            unit=" DOIs",
            file=self.stderr,
            disable=options["verbosity"] == 0,
        )
        added = existing = 0
        invalid = []
        for number, text in progress:
            try:
                _paper, created = metadata.add_by_doi(text)
            except RecordError as error:
                invalid.append((number, str(error)))
                continue
            if created:
                added += 1
            else:
                existing += 1
        progress.close()

        self.stdout.write(
            f"{added} added, {existing} already in the catalogue, {len(invalid)} invalid"
        )
        for number, reason in invalid:
            self.stdout.write(self.style.WARNING(f"line {number}: {reason}"))
        if invalid and not (added or existing):
            raise CommandError(f"No line of {name} holds a DOI.")


def read_lines(path, *, stdin, name):
    """All lines of the file (or of stdin for "-"), read before any DOI is added.

    Raises CommandError when the file cannot be opened or is not UTF-8 text: nothing is
    added from a file that is only half read.
    """
    try:
        if path == "-":
            text = stdin.read()
        else:
            # utf-8-sig: a byte order mark, as spreadsheets write it, is not part of a DOI.
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"Cannot read {name}: {error}") from error
    # Not splitlines(): it also breaks at form feeds and other separators, and the line
    # numbers reported would no longer be an editor's ("\r" is stripped with the spaces).
    return text.split("\n")


def doi_lines(lines):
    """(line number, text) of each line that is neither blank nor a comment."""
    for number, line in enumerate(lines, start=1):
        text = TRAILING_COMMENT.sub("", line).strip()
        if text and not text.startswith("#"):
            yield number, text
