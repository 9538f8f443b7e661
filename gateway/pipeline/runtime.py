"""Everything a pipeline call needs, built once at the edge (app lifespan, worker startup, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from gateway.kit.clock import Clock, SystemClock
from gateway.mapping import MapRegistry
from gateway.partners.registry import PartnerRegistry, load_partners
from gateway.settings import Settings
from gateway.store import migrate
from gateway.store.session import make_engine, make_sessionmaker
from gateway.worker.enqueue import Enqueuer, TaskContext


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessionmaker: sessionmaker[Session]
    partners: PartnerRegistry
    maps: MapRegistry
    clock: Clock
    jobs: Enqueuer

    def reload_config(self) -> tuple[PartnerRegistry, MapRegistry]:
        """Read `partners/` and `edi_maps/` again and use them from the next document on (a new
        supplier needs no restart). Both are loaded before either is swapped, so an invalid file
        (`PartnerConfigError`, `MappingError`) leaves the running configuration as it was."""
        partners = load_partners(self.settings.partners_dir)
        maps = MapRegistry.load(self.settings.maps_dir)
        self.partners, self.maps = partners, maps
        return partners, maps

    def close(self) -> None:
        _ACTIVE.pop(id(self.sessionmaker), None)
        self.jobs.close()
        self.engine.dispose()


# Runtimes by the id of their sessionmaker: a task run inline finds the runtime of the caller (with its
# clock and loaded config); a worker process registers the one it builds at its first task.
_ACTIVE: dict[int, Runtime] = {}


def runtime_for_task(ctx: TaskContext) -> Runtime:
    """The runtime a task runs with: the caller's (inline mode) or one built for this worker."""
    found = _ACTIVE.get(id(ctx.sessionmaker))
    if found is not None:
        return found
    settings = ctx.settings
    engine = ctx.sessionmaker.kw["bind"]
    assert isinstance(engine, Engine)
    rt = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=ctx.sessionmaker,
        partners=load_partners(settings.partners_dir),
        maps=MapRegistry.load(settings.maps_dir),
        clock=SystemClock(),
        jobs=ctx.enqueuer,
    )
    _ACTIVE[id(ctx.sessionmaker)] = rt
    return rt


def build_runtime(settings: Settings, *, clock: Clock | None = None, upgrade: bool = True) -> Runtime:
    """Engine, sessions, partners, maps and the job facade. With `upgrade`, the schema is brought
    to the latest migration first (the embedded default needs no separate step)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    if upgrade:
        migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    rt = Runtime(
        settings=settings,
        engine=engine,
        sessionmaker=factory,
        partners=load_partners(settings.partners_dir),
        maps=MapRegistry.load(settings.maps_dir),
        clock=clock or SystemClock(),
        jobs=Enqueuer.from_settings(settings, factory),
    )
    _ACTIVE[id(factory)] = rt
    return rt
