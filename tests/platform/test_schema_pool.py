"""The PostgreSQL schemas tests share one after another come back as a new one would be."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.stores import give_back_postgres_schema, take_postgres_schema
from tests.support import live_server, postgres_base_url, postgres_schema, service_trust

pytestmark = pytest.mark.postgres


def rows_and_sequences(plain: str, schema: str) -> tuple[dict[str, int], dict[str, int]]:
    """Each table's row count, and each sequence's next value, in the schema."""
    with psycopg.connect(plain, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        counts = {
            t: conn.execute(f'SELECT count(*) FROM "{schema}"."{t}"').fetchone()[0]  # type: ignore[index]
            for (t,) in tables
        }
        sequences = conn.execute(
            "SELECT sequencename, coalesce(last_value + 1, start_value) FROM pg_sequences"
            " WHERE schemaname = %s",
            (schema,),
        ).fetchall()
    return counts, dict(sequences)


def test_a_schema_given_back_is_empty_and_used_again(tmp_path: Path) -> None:
    plain = (
        make_url(postgres_base_url())
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    fresh = take_postgres_schema(plain)
    new_rows, new_sequences = rows_and_sequences(plain, fresh)
    give_back_postgres_schema(plain, fresh)
    assert {t: n for t, n in new_rows.items() if n} == {"alembic_version": 1}

    with postgres_schema() as url:
        options = make_url(url).query["options"]
        assert f"search_path={fresh}" in options, "the schema given back is the one taken next"
        with live_server(tmp_path / "state", url) as server:
            server.client("iam").create_role(
                RoleName="r", AssumeRolePolicyDocument=service_trust("sagemaker.amazonaws.com")
            )
            server.client("logs").create_log_group(logGroupName="g")  # a row of a serial id
        used_rows, used_sequences = rows_and_sequences(plain, fresh)
        assert (used_rows["iam_roles"], used_rows["logs_groups"]) == (1, 1)
        assert used_sequences != new_sequences, "the server drew from the sequences"

    assert rows_and_sequences(plain, fresh) == (new_rows, new_sequences)
