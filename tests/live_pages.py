"""The live pages as the app declares them (webui/views/), and the topics a viewer's stream
subscribes to, for tests of the hub without an app."""

from datetime import timedelta

from webui.services.activity.recent import Recent
from webui.views import Views, maintenance, members

PAGES = Views(Recent(timedelta(seconds=60))).pages()


def member_topic(name: str, role: str) -> str:
    return members.member_page(Recent(timedelta(seconds=60))).topic_for(name, role)


def maintenance_topic(role: str) -> str:
    return maintenance.PAGE.topic_for(role=role)
