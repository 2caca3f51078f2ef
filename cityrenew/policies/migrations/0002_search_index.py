"""The search index of the policy library (cityrenew.policies.search), one per database vendor.

SQLite: an FTS5 table (rowid = article id; columns heading, body, doc: segmented tokens; document_id).
PostgreSQL: a table with tsvectors on the 'simple' configuration (heading, body, doc), each with a GIN
index. Both are filled by ``search.rebuild_index()``, which the ingest calls.
"""

from django.db import migrations

TABLE = "policies_article_fts"


def create_index(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE TABLE {TABLE} ("
            # no foreign key: Django's flush (TRUNCATE) of policies_article would refuse it; rows of
            # articles that are gone are ignored by the search and dropped by rebuild_index()
            " article_id integer PRIMARY KEY,"
            " document_id integer NOT NULL,"
            " heading tsvector NOT NULL,"
            " body tsvector NOT NULL,"
            " doc tsvector NOT NULL)"
        )
        for column in ("heading", "body", "doc"):
            schema_editor.execute(f"CREATE INDEX {TABLE}_{column} ON {TABLE} USING gin ({column})")
        schema_editor.execute(f"CREATE INDEX {TABLE}_document ON {TABLE} (document_id)")
    elif conn.vendor == "sqlite":
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE {TABLE} USING fts5(heading, body, doc, document_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 0')"
        )
    else:
        raise RuntimeError(f"政策检索索引不支持数据库 {conn.vendor}（仅支持 SQLite 与 PostgreSQL）")


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_library")]

    operations = [migrations.RunPython(create_index, drop_index)]
