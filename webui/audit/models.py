"""Audit records: append-only and hash-chained, so an altered or removed record shows."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webui.db import Base


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(100), index=True)  # user name, "display:NAME" or ""
    role: Mapped[str] = mapped_column(String(20))
    via: Mapped[str] = mapped_column(String(100))  # session, token NAME, sso, display, cli
    source_address: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(255), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    operation_id: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)  # requested succeeded failed denied
    error: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the "requested" record
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
