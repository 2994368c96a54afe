"""The portal's one settings file, read from environment variables.

With no variables at all it runs the embedded default: DEBUG on, SQLite under var/,
Celery messages on local disk, email to the console. Production sets at least
DEBUG=false, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL (see README).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for development; real deployments set variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# Everything the embedded default writes (database, broker queue, cache) lives here.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-never-use-this-key-in-production"

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The portal's own address, for absolute links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "Research Portal"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "portal",
    "accounts",
    "papers",
    "reviews",
    "library",
    "recommendations",
    # After our apps, so that portal/templates overrides allauth's templates.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.orcid",
    "rest_framework.authtoken",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETags on pages, and 304 Not Modified when the browser already has the same page.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The Content-Security-Policy header (below), on every view's response and error page.
    "csp.middleware.CSPMiddleware",
]

# Content-Security-Policy on every page (django-csp): scripts, styles, images and requests
# only from our own origin, so markup that slips through escaping cannot run a script. No
# inline script or style runs unless it carries the per-request nonce
# ({{ request.csp_nonce }}); style="..." attributes cannot carry one, so pages use classes.
# The header is added only to responses of Django views, not to static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # Swagger UI's stylesheet draws its icons as data: images.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.views.site_context",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under var/.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while a worker writes; IMMEDIATE takes the write
        # lock at BEGIN, so concurrent writers wait (timeout) instead of failing mid-way.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        # Seconds to wait for the write lock. Beat runs with 2 (Procfile): a wait inside
        # SQLite defers SIGTERM, and beat writes on its way out too.
        "timeout": env.int("SQLITE_TIMEOUT", default=20),
    }
    # A file (not in-memory) test database, so that a worker process can share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the admin's username log-in
    "allauth.account.auth_backends.AuthenticationBackend",  # email or username, verified
]

# Accounts (django-allauth): log in by email or username; an email address must be
# verified before the first log-in.
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False  # a link preview must not confirm an address
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Research Portal] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# Usernames are public (profile pages, the API), so they must never be email addresses.
ACCOUNT_USERNAME_VALIDATORS = "accounts.profiles.username_validators"
# allauth counts attempts in the cache (Redis in production, shared by every web process).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",  # key: the address or username typed
    "signup": "10/h/ip",
    "reset_password": "20/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
    "confirm_email": "1/3m/key",
}
# "Sign in with ORCID": shown only when a client id and secret are configured (no
# database row needed). ORCID_BASE_DOMAIN=sandbox.orcid.org for ORCID's test registry.
ORCID_CLIENT_ID = env.str("ORCID_CLIENT_ID", default="")
ORCID_SECRET = env.str("ORCID_SECRET", default="")
SOCIALACCOUNT_PROVIDERS = {
    "orcid": {
        "BASE_DOMAIN": env.str("ORCID_BASE_DOMAIN", default="orcid.org"),
        "MEMBER_API": False,
        "APPS": [{"client_id": ORCID_CLIENT_ID, "secret": ORCID_SECRET, "key": ""}]
        if ORCID_CLIENT_ID and ORCID_SECRET
        else [],
    }
}
SOCIALACCOUNT_LOGIN_ON_GET = False  # the provider redirect is a POST (CSRF-protected)
SOCIALACCOUNT_STORE_TOKENS = False  # we only need the ORCID iD, never ORCID's API

# Redis, when given, is the Celery broker and the shared cache.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache is shared by the web and worker processes of one machine.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Rendered paper pages for anonymous readers, in each web process's memory (papers.page_cache).
# 0 turns the page cache off.
PAPER_PAGE_CACHE_SECONDS = env.int("PAPER_PAGE_CACHE_SECONDS", default=30)
# The paper page's reader-independent fragments (portal.paper_fragments), keyed by the
# paper's content_version: a write shows at once; this only bounds how long an edit that
# bypasses the write paths (shell, SQL) may be stale on a page.
# 0 turns the fragment cache off.
PAPER_FRAGMENT_SECONDS = env.int("PAPER_FRAGMENT_SECONDS", default=600)
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "paper-pages",
    # ~50 kB a page: at most ~50 MB per web process.
    "OPTIONS": {"MAX_ENTRIES": env.int("PAPER_PAGE_CACHE_ENTRIES", default=1000)},
}

# Ratings (reviews.ratings): below RATINGS_MIN_SHOWN ratings a paper shows "Not enough
# ratings"; "Best rated" shrinks each average toward the catalogue mean as if every paper had
# RATING_PRIOR_WEIGHT more ratings at that mean (RATING_PRIOR_MEAN while nothing is rated).
RATINGS_MIN_SHOWN = env.int("RATINGS_MIN_SHOWN", default=3)
RATING_PRIOR_WEIGHT = env.float("RATING_PRIOR_WEIGHT", default=5.0)
RATING_PRIOR_MEAN = env.float("RATING_PRIOR_MEAN", default=3.0)
# Per user and hour: reviews written or edited, and reviews reported (counted in the database).
REVIEWS_PER_HOUR = env.int("REVIEWS_PER_HOUR", default=20)
# Papers one user may add by DOI an hour (site form and API; each costs registry requests).
PAPERS_ADDED_PER_HOUR = env.int("PAPERS_ADDED_PER_HOUR", default=60)
# Reference-manager imports (library.imports): the largest file taken, and imports per user
# and hour (each may ask the registries for thousands of DOIs).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=20_000_000)
IMPORTS_PER_HOUR = env.int("IMPORTS_PER_HOUR", default=10)
REPORTS_PER_HOUR = env.int("REPORTS_PER_HOUR", default=10)
# Resource requests (reviews.resources): per user and hour, counted in the database.
RESOURCE_REQUESTS_PER_HOUR = env.int("RESOURCE_REQUESTS_PER_HOUR", default=5)
RESOURCE_ANSWERS_PER_HOUR = env.int("RESOURCE_ANSWERS_PER_HOUR", default=20)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start without it
# Files the portal writes (the recommender's model and nearest-neighbour index files,
# papers.vectors): under var/media by default; in production with several machines a
# shared store, e.g. FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage and
# FILE_STORAGE_OPTIONS='{"bucket_name": "portal-files"}' (django-storages; see README).
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("FILE_STORAGE_OPTIONS", default={}),
    },
    "staticfiles": {
        # Hashed, compressed files in production (after collectstatic); plain files in DEBUG.
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}

# Email: console by default; e.g. EMAIL_URL=smtp+tls://user:password@smtp.example.org:587
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Research Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A provider's backend instead (e.g. anymail.backends.postmark.EmailBackend, with its
# settings), when EMAIL_URL's SMTP or console is not what production uses.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default=EMAIL_BACKEND)  # noqa: F821 (set by EMAIL_URL)

# Email digests (recommendations.digests): papers per digest; the life of the signed links in
# every email (unsubscribe, "not relevant"); digests handed to the workers per batch, and
# the rate each worker sends them at (Celery's rate_limit, e.g. "10/s"); tries per digest.
DIGEST_MAX_PAPERS = env.int("DIGEST_MAX_PAPERS", default=5)
EMAIL_LINK_MAX_AGE_DAYS = env.int("EMAIL_LINK_MAX_AGE_DAYS", default=60)
DIGEST_BATCH_SIZE = env.int("DIGEST_BATCH_SIZE", default=500)
DIGEST_RATE_LIMIT = env.str("DIGEST_RATE_LIMIT", default="10/s")
DIGEST_SEND_ATTEMPTS = env.int("DIGEST_SEND_ATTEMPTS", default=4)

# Crossref's "polite pool" wants a contact address in every request.
CROSSREF_MAILTO = env.str("CROSSREF_MAILTO", default="")
# The metadata registries. Outbound requests only ever go to these base URLs (tests point
# them at a local replay server).
CROSSREF_API_URL = env.str("CROSSREF_API_URL", default="https://api.crossref.org").rstrip("/")
DATACITE_API_URL = env.str("DATACITE_API_URL", default="https://api.datacite.org").rstrip("/")
OPENALEX_API_URL = env.str("OPENALEX_API_URL", default="https://api.openalex.org").rstrip("/")
OPENALEX_API_KEY = env.str("OPENALEX_API_KEY", default="")
REGISTRY_TIMEOUT = (
    env.float("REGISTRY_CONNECT_TIMEOUT", default=5.0),
    env.float("REGISTRY_READ_TIMEOUT", default=20.0),
)
REGISTRY_MAX_BYTES = env.int("REGISTRY_MAX_BYTES", default=5_000_000)
# Fetching metadata: tries per fetch before a paper is marked failed (then retried daily),
# age after which fetched metadata is refreshed, and papers enqueued per beat run.
METADATA_MAX_ATTEMPTS = env.int("METADATA_MAX_ATTEMPTS", default=6)
METADATA_MAX_AGE_DAYS = env.int("METADATA_MAX_AGE_DAYS", default=90)
METADATA_REFRESH_BATCH = env.int("METADATA_REFRESH_BATCH", default=200)
# Papers fetched together: one Crossref request (filter=doi:...) and one bulk-path batch.
METADATA_FETCH_BATCH = env.int("METADATA_FETCH_BATCH", default=20)

# Security: on by default whenever DEBUG is off; each can be turned down by environment.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Celery. Tasks are written to be safe to run twice, so a task is acknowledged only
# after it ran, and redelivered if its worker dies.
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
if not REDIS_URL:
    # Embedded default: messages are files under var/broker, shared by all processes of
    # this machine; no service to install.
    BROKER_DIR = VAR_DIR / "broker"
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True  # tasks write their results to the database
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
if REDIS_URL:
    # Redis gives a delivered, unacknowledged task to another worker when this long has
    # passed (its worker died): just above the hard time limit, so that a dead worker costs
    # minutes. No task waits in the broker longer than that: metadata retries wait on the
    # paper (papers.metadata), and email retries are capped below it (or keep a send log).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int(
            "CELERY_VISIBILITY_TIMEOUT", default=CELERY_TASK_TIME_LIMIT + 60
        )
    }
# DOI fetches as leases (papers.metadata): a paper "fetching" this long lost its worker (a
# little longer than the hard time limit, so no live task still holds it); one "pending" this
# long lost its message. Redis keeps queued messages, and a long queue is normal, so an hour;
# the embedded broker drops the messages a killed worker had taken, so ten minutes.
METADATA_FETCH_LEASE = env.int("METADATA_FETCH_LEASE", default=CELERY_TASK_TIME_LIMIT + 60)
METADATA_QUEUE_LEASE = env.int("METADATA_QUEUE_LEASE", default=3600 if REDIS_URL else 600)
CELERY_TIMEZONE = TIME_ZONE
# The queue tasks go to unless told otherwise; separate deployments (or test runs) sharing
# one Redis give each its own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Tasks are defined beside the functions they run; a worker imports these modules (and each
# app's tasks.py, if it has one) to know them. tests/portal/test_task_modules.py checks
# that every module defining a task is listed.
CELERY_IMPORTS = [
    "papers.listing",
    "papers.metadata",
    "papers.recommend",
    "papers.vectors",
    "papers.embeddings",
    "accounts.emails",
    "reviews.ratings",
    "reviews.notifications",
    "reviews.resources",
    "recommendations.picks",
    "recommendations.digests",
    "library.imports",
]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The starting schedule; beat copies it into the database, where admins can edit it.
CELERY_BEAT_SCHEDULE = {
    # Every minute: a failed fetch's next try, or a lost one's lease, costs a minute at most.
    "refresh-due-metadata": {
        "task": "papers.metadata.refresh_due_metadata",
        "schedule": crontab(minute="*"),
    },
    # The home page's category counts (papers.listing.home_categories) are this old at most.
    "refresh-home-categories": {
        "task": "papers.listing.refresh_home_categories",
        "schedule": crontab(minute="*/10"),
    },
    # Imports whose task was lost (a dead worker, a message the embedded broker dropped).
    "requeue-stale-imports": {
        "task": "library.imports.requeue_stale_imports",
        "schedule": crontab(minute="*/10"),
    },
    "clear-expired-sessions": {
        "task": "portal.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    # Bayesian scores drift as the catalogue mean moves; summaries are checked too.
    "recompute-ratings": {
        "task": "reviews.ratings.recompute_ratings",
        "schedule": crontab(hour=3, minute=41),
    },
    # Papers still without a sentence embedding (the optional extra; nothing without it).
    "embed-new-papers": {
        "task": "papers.embeddings.embed_missing_papers",
        "schedule": crontab(minute=23),
    },
    # Every related-papers list rebuilt (with the day's ratings blended in), then every
    # user's picks; new and changed papers are placed as they come in between.
    "rebuild-recommendations": {
        "task": "recommendations.picks.rebuild_recommendations",
        "schedule": crontab(hour=4, minute=7),
    },
    # The nearest-neighbour index of the paper vectors, rebuilt with the papers placed
    # since the last build (until then they are searched exactly beside it).
    "build-vector-index": {
        "task": "papers.vectors.build_vector_index",
        "schedule": crontab(minute=37),
    },
    # Email digests: each run fans out one task per user due (recommendations.digests).
    "send-daily-digests": {
        "task": "recommendations.digests.send_digests",
        "schedule": crontab(hour=7, minute=5),
        "args": ["daily"],
    },
    "send-weekly-digests": {
        "task": "recommendations.digests.send_digests",
        "schedule": crontab(day_of_week=1, hour=7, minute=15),
        "args": ["weekly"],
    },
    "send-monthly-digests": {
        "task": "recommendations.digests.send_digests",
        "schedule": crontab(day_of_month=1, hour=7, minute=25),
        "args": ["monthly"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    # Sessions for the browser, a token ("Authorization: Token ...") for scripts.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON with size, depth and finite-number limits (portal/api.py); forms for the
    # browsable API's HTML forms.
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Research Portal API",
    "DESCRIPTION": "Papers, journals, authors, reviews and recommendations.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page loads its scripts from our static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Three profile fields share one set of email frequencies: one name in the schema.
    "ENUM_NAME_OVERRIDES": {
        "EmailFrequencyEnum": "accounts.models.Profile.Frequency",
        # Recommendations and follow alerts come only in a digest: the same choices.
        "DigestFrequencyEnum": "accounts.models.Profile.DIGEST_ONLY",
    },
    # The default hook, then the 4xx error answer every operation may give.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.document_client_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Recommendations (papers.recommend, recommendations.picks): entries in a "Recommended" list; the
# content score below which a paper is not a close neighbour (the cold-start fill takes its
# place; unset: papers.similarity's own bar, 0.2 in words alone, 0.56 with topics); how
# many years count as "recent" for the best-rated fill; personal picks kept.
RELATED_PAPERS_SHOWN = env.int("RELATED_PAPERS_SHOWN", default=10)
RELATED_MIN_SCORE = env.float("RELATED_MIN_SCORE", default=None)
RELATED_RECENT_YEARS = env.int("RELATED_RECENT_YEARS", default=5)
# Papers whose lists one task of a rebuild computes (papers.recommend.rebuild_in_parallel):
# more chunks spread a rebuild over more workers; each holds its chunk's candidates.
RELATED_REBUILD_CHUNK = env.int("RELATED_REBUILD_CHUNK", default=20000)
# A rebuild still "running" this many hours after it started lost its chunk tasks (a worker
# killed, a broker restarted): the next rebuild marks it failed and drops its vectors.
RELATED_RUN_ABANDONED_AFTER_HOURS = env.int("RELATED_RUN_ABANDONED_AFTER_HOURS", default=12)
# Papers a rebuild learns its vocabulary and topics from (an evenly spread sample beyond).
RELATED_FIT_SAMPLE = env.int("RELATED_FIT_SAMPLE", default=200000)
PERSONAL_PICKS_KEPT = env.int("PERSONAL_PICKS_KEPT", default=20)
# The optional sentence-embedding extra (requirements-embeddings.txt, papers.embeddings):
# "auto" blends each paper's sentence embedding into its related-papers scores when the
# extra is installed, "off" never does (the portal is complete without it); the weight of the
# embedding's cosine in the blend; PyTorch threads per process (0: PyTorch's choice); and
# how many papers without an embedding one hourly backfill sends to the workers.
RELATED_EMBEDDINGS = env.str("RELATED_EMBEDDINGS", default="auto")
if RELATED_EMBEDDINGS not in ("auto", "off"):
    raise ImproperlyConfigured(
        f"RELATED_EMBEDDINGS must be auto or off, not {RELATED_EMBEDDINGS!r}"
    )
RELATED_EMBEDDING_WEIGHT = env.float("RELATED_EMBEDDING_WEIGHT", default=0.4)
EMBEDDING_THREADS = env.int("EMBEDDING_THREADS", default=0)
EMBEDDING_BACKFILL_PAPERS = env.int("EMBEDDING_BACKFILL_PAPERS", default=50000)
