from datetime import datetime

from webui.audit.syslog import message
from webui.models import AuditRecord
from webui.routes.audit import spreadsheet_safe


def test_cells_a_spreadsheet_would_compute_are_kept_as_text():
    for formula in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert spreadsheet_safe(formula) == "'" + formula
    assert spreadsheet_safe("alice") == "alice" and spreadsheet_safe(3) == 3


def test_a_syslog_message_is_rfc_5424_with_the_record_as_json():
    record = AuditRecord(at=datetime(2026, 12, 1, 12, 0, 0, 5), outcome="denied", id=7)
    sent = message(record, {"id": 7, "outcome": "denied"}, "host1").decode()
    assert sent == '<84>1 2026-12-01T12:00:00.000005Z host1 incus-webui - audit - {"id":7,"outcome":"denied"}'
