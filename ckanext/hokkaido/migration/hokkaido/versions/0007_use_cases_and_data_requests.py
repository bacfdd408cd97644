"""Use cases (活用事例) with the datasets they use, and data requests
(データ公開リクエスト) with their history of answers.

Revision ID: 0007_use_cases_and_requests
Revises: 0006_source_proposals
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_use_cases_and_requests"
down_revision = "0006_source_proposals"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hokkaido_use_case",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("image_url", sa.Text, nullable=False, server_default=""),
        sa.Column("creator_user_id", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False, server_default="active"),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "hokkaido_use_case_dataset",
        sa.Column("use_case_id", sa.Integer,
                  sa.ForeignKey("hokkaido_use_case.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("package_id", sa.Text, primary_key=True),
    )
    op.create_index("ix_hokkaido_use_case_dataset_package", "hokkaido_use_case_dataset", ["package_id"])
    op.create_table(
        "hokkaido_data_request",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("organization_id", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="received"),
        sa.Column("status_note", sa.Text, nullable=False, server_default=""),
        sa.Column("package_id", sa.Text, nullable=True),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hidden_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.Column("modified", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_hokkaido_data_request_organization", "hokkaido_data_request", ["organization_id"])
    op.create_index("ix_hokkaido_data_request_user_created", "hokkaido_data_request", ["user_id", "created"])
    op.create_table(
        "hokkaido_data_request_event",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer,
                  sa.ForeignKey("hokkaido_data_request.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(12), nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("created", sa.DateTime, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_hokkaido_data_request_event_request", "hokkaido_data_request_event", ["request_id"])


def downgrade():
    op.drop_table("hokkaido_data_request_event")
    op.drop_table("hokkaido_data_request")
    op.drop_table("hokkaido_use_case_dataset")
    op.drop_table("hokkaido_use_case")
