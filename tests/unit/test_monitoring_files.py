"""deploy/grafana and deploy/prometheus cannot run here, so check that every series they query
is one our processes export (platform/metrics.py), and that the rules have Prometheus's shape."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import yaml
from prometheus_client.metrics import MetricWrapperBase

from learning_record.platform import metrics

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "deploy/prometheus/alerts.yml"
DASHBOARD = REPO / "deploy/grafana/learning-record.json"

# What an operator must see in both: lag, freshness, dead letters, 5xx and 429, rereads, up.
ESSENTIAL = {
    "lr_consumer_lag_seconds",
    "lr_freshness_seconds_bucket",
    "lr_dead_letter_records",
    "lr_http_requests_total",
    "lr_rate_limited_total",
    "lr_worker_rereads_total",
}
# Series of a counter or a histogram, as a scrape shows them (created series are disabled).
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def exported_series() -> set[str]:
    names = set()
    for declared in vars(metrics).values():
        if isinstance(declared, MetricWrapperBase):
            for family in declared.describe():
                names |= {family.name + suffix for suffix in _SUFFIXES[family.type]}
    return names


def referenced(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in re.findall(r"\blr_[a-z0-9_]+", expr)}


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text())
    return [rule for group in loaded["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    dashboard = orjson.loads(DASHBOARD.read_bytes())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_exported_series_are_named_as_a_scrape_shows_them() -> None:
    series = exported_series()
    assert {"lr_statements_accepted_total", "lr_ready", "lr_freshness_seconds_count"} <= series
    assert "lr_statements_accepted" not in series


def test_alert_rules_have_the_prometheus_rule_group_shape() -> None:
    loaded = yaml.safe_load(ALERTS.read_text())
    assert set(loaded) == {"groups"}
    for group in loaded["groups"]:
        assert set(group) == {"name", "rules"}
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert isinstance(rule["alert"], str)
            assert isinstance(rule["expr"], str)
            assert rule["labels"]["severity"] in {"page", "ticket"}
            if "for" in rule:
                assert re.fullmatch(r"\d+[smh]", rule["for"])
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names))


def test_alert_rules_query_only_series_our_processes_export() -> None:
    used = referenced([rule["expr"] for rule in rules()])
    assert used >= ESSENTIAL
    assert used - exported_series() == set()


def test_grafana_dashboard_queries_only_series_our_processes_export() -> None:
    used = referenced(dashboard_expressions())
    assert used >= ESSENTIAL
    assert used - exported_series() == set()
    dashboard = orjson.loads(DASHBOARD.read_bytes())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_both_scrape_jobs_are_watched_for_being_up() -> None:
    for exprs in ([rule["expr"] for rule in rules()], dashboard_expressions()):
        jobs = set(re.findall(r'up\{job="([a-z-]+)"\}', " ".join(exprs)))
        assert jobs == {"learning-record-api", "learning-record-worker"}
