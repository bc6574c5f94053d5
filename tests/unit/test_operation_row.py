from fastapi import FastAPI

from webui.app import make_templates
from webui.incus.models import Operation
from webui.live.snapshot import ClusterSnapshot
from webui.routes import operations
from webui.routes.api import operations as api_operations


def render_row(operation: Operation, role: str = "operator") -> str:
    app = FastAPI()
    for module in (api_operations, operations):
        app.include_router(module.router)
    template = make_templates(app).get_template("operations/_row.html")
    return template.render(operation=operation, snapshot=ClusterSnapshot(), role=role)


def test_a_cancellable_operation_gets_a_cancel_button_posting_to_the_page_route():
    html = render_row(Operation(id="abc", description="Copying", status="Running", may_cancel=True))
    assert 'hx-post="/operations/abc/cancel"' in html


def test_no_cancel_button_where_incus_does_not_allow_it_or_once_finished():
    assert "Cancel" not in render_row(Operation(id="a", status="Running", may_cancel=False))
    assert "Cancel" not in render_row(Operation(id="b", status="Success", may_cancel=True))


def test_an_auditor_gets_no_cancel_button():
    assert "Cancel" not in render_row(Operation(id="abc", status="Running", may_cancel=True), role="auditor")


def test_only_an_admin_may_revoke_a_join_token():
    token = Operation(id="t", class_="token", status="Running", may_cancel=True)
    assert "Cancel" not in render_row(token, role="operator")
    assert 'hx-post="/operations/t/cancel"' in render_row(token, role="admin")
