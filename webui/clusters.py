"""One watched cluster: its Incus client, hub, watcher and snapshot, what follows its events
(maintenance runs, healing, the pinned certificate, the guided upgrade), its templates and
views, started and stopped as one. Everything a page, a stream or a service of one cluster
needs that is not the whole dashboard's (settings, database, audit log, metrics)."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine

from webui.audit.log import AuditLog
from webui.auth import store
from webui.incus.client import IncusClient
from webui.incus.transport import Connection
from webui.live.hub import Hub
from webui.live.trends import Trends
from webui.live.watcher import Watcher
from webui.middleware.cluster_paths import pages_of
from webui.services.activity.history import recorder
from webui.services.activity.operations import outcome_recorder, reconcile_logged
from webui.services.activity.recent import Recent
from webui.services.configuration.pinning import certificate_follower, pin_source
from webui.services.configuration.secrets import Secrets
from webui.services.context import Context
from webui.services.maintenance.healing import Fencing, Healing
from webui.services.maintenance.runs import MaintenanceRun
from webui.services.maintenance.tracker import MaintenanceTracker
from webui.services.upgrade.driver import Driver
from webui.settings import Settings
from webui.views import Views
from webui.views.audit import show_record

if TYPE_CHECKING:
    from webui.live.leadership import Leadership

# The templates of one cluster's pages, given where its trends are kept.
MakeTemplates = Callable[[Trends], Jinja2Templates]


@dataclass(frozen=True)
class Place:
    """Where a cluster's pages are: its name, the prefix of its URLs ("" when the dashboard
    holds one cluster: its pages stay where they always were), and every cluster held."""

    name: str = ""
    prefix: str = ""
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: str, names: tuple[str, ...]) -> "Place":
        return cls(name, pages_of(name) if len(names) > 1 else "", names)

    def prefix_of(self, name: str) -> str:
        """Where another cluster's pages are."""
        return pages_of(name)


class WatchedCluster:
    """Built in the app's lifespan; start() begins watching, stop() ends it all."""

    def __init__(
        self, name: str, settings: Settings, connection: Connection, engine: Engine, audit: AuditLog,
        secrets: Secrets, make_templates: MakeTemplates,
    ) -> None:
        self.name = name  # as the dashboard shows it, and as its rows in the database carry it
        audit = audit.of_cluster(name)  # every record its services write names it
        self.settings = settings
        self.engine = engine
        self.trends = Trends(settings.state_interval)
        self.views = Views(Recent(timedelta(seconds=settings.recent_seconds)), name)
        self.templates = templates = make_templates(self.trends)
        self.client = client = IncusClient(connection)
        client.transport.pin_source = pin_source(engine, name, connection)
        idle = timedelta(minutes=settings.session_idle_minutes)
        self.hub = hub = Hub(
            lambda name, context: templates.get_template(name).render(context),
            settings.queue_size,
            settings.max_streams_per_identity,
            check=lambda credentials: store.ended(engine, credentials, idle),
            send_timeout=settings.send_timeout,
            max_streams=settings.max_streams,
            expires=self.views.recent.expires,
            pages=self.views.pages(),
        )
        self.tracker = tracker = MaintenanceTracker(hub, client, engine, audit, name)
        fencing = Fencing(settings.healed_hook, settings.healed_hook_timeout, settings.healed_webhook)
        healing = Healing(hub, engine, audit, fencing, name)
        self.watcher = Watcher(
            client,
            hub,
            poll_interval=settings.poll_interval,
            state_interval=settings.state_interval,
            trends=self.trends,
            budget=settings.state_budget,
            on_event=[
                recorder(engine, name), tracker.on_event, healing.on_event, certificate_follower(client, engine, name)
            ],
            on_operation=[outcome_recorder(audit), tracker.on_operation],
            on_sync=[tracker.on_sync, healing.on_sync],
        )
        self.context = Context(name, hub, client, self.watcher, audit, engine, secrets)
        self.leadership: Leadership | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def leading(self) -> bool:
        """Whether this process watches the cluster (always with SQLite; when elected with PostgreSQL)."""
        return self.leadership is None or self.leadership.leading

    def start(self) -> None:
        # Audit records are written in worker threads; the live audit page hears of each.
        loop = asyncio.get_running_loop()
        self.context.audit.on_append.append(lambda record: loop.call_soon_threadsafe(show_record, self.hub, record))
        self.leadership = self._watch()
        settings = self.settings
        self._tasks = [
            # Operations that ended while no dashboard ran: their outcome, from Incus, once.
            asyncio.create_task(reconcile_logged(self.context.audit, self.client)),
            asyncio.create_task(self.hub.run(settings.heartbeat)),
            # A failure acknowledged through another dashboard process leaves the wall display.
            asyncio.create_task(self.tracker.follow_acknowledgements(self.leading, settings.poll_interval)),
            asyncio.create_task(Driver(self.context, settings.poll_interval).run()),
        ]
        if self.leadership:
            self._tasks.append(asyncio.create_task(self.leadership.run()))

    def _watch(self) -> "Leadership | None":
        """Start watching Incus: at once with SQLite (one host); with PostgreSQL, the Leadership
        that makes this process watch only while it is the elected one (None with SQLite)."""
        if self.engine.dialect.name != "postgresql":
            self.watcher.start()
            return None
        # Imported here: they need psycopg, which only the postgres extra installs.
        from webui.live.leadership import Leadership
        from webui.live.relay import SnapshotCodec, conninfo

        def lead() -> None:
            self.tracker.adopt(self.hub.snapshot.maintenance)
            self.watcher.start()

        codec = SnapshotCodec({"maintenance": tuple[MaintenanceRun, ...]})
        return Leadership(
            conninfo(self.settings.database_url), self.name, self.hub, codec, self.trends, lead, self.watcher.stop
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.hub.close()
        await self.watcher.stop()
        await self.client.aclose()

    def state(self) -> dict[str, object]:
        """What a request to this cluster's pages finds in request.state."""
        return {
            "cluster": self.name, "templates": self.templates, "views": self.views, "hub": self.hub,
            "services": self.context,
        }

