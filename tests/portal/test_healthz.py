import pytest


@pytest.mark.django_db
def test_it_reports_503_with_the_reason_when_no_worker_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["worker"] == {"ok": False, "detail": "no worker answered"}


@pytest.mark.django_db
def test_it_reports_the_broker_down_and_skips_the_worker_ping(client, settings):
    from portal.celery import app as celery_app

    # A broker address where nothing listens: the check must say so, not hang or crash.
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        celery_app.conf.broker_url = original

    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    assert "Error" in body["broker"]["detail"]
    assert body["worker"] == {"ok": False, "detail": "broker down"}
