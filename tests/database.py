"""The test database made new: CKAN's reset, our plugins' migrations, and
the hokkaido tables emptied (CKAN's reset leaves a plugin's tables alone, so
a test's snapshots or error details would reach the next test)."""
import sqlalchemy as sa

HOKKAIDO_TABLES = ("hokkaido_status_snapshot", "hokkaido_harvest_error_detail", "hokkaido_source_proposal",
                   "hokkaido_use_case", "hokkaido_use_case_dataset", "hokkaido_data_request",
                   "hokkaido_data_request_event", "hokkaido_table_load", "hokkaido_standard_source")


def reset_portal_db(reset_db, migrate_db_for) -> None:
    from ckan import model

    reset_db()
    for plugin in ("activity", "harvest", "hokkaido"):
        migrate_db_for(plugin)
    model.Session.execute(sa.text(f"TRUNCATE {', '.join(HOKKAIDO_TABLES)} CASCADE"))
    model.Session.commit()
