"""Reloading configuration: a new supplier's file is used from the next document on, no restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.errors import PartnerConfigError, UnknownPartnerError
from gateway.kit.clock import FixedClock
from gateway.pipeline.runtime import build_runtime
from gateway.settings import Settings
from tests.pipeline.support import MAPS_DIR, NOW, PARTNERS_DIR

NEW_PARTNER = """\
id: delta-castings
name: Delta Castings GmbH
x12: {isa_qualifier: ZZ, isa_id: DELTACAST}
"""


def test_reload_adds_a_new_partner_and_a_broken_file_keeps_the_running_config(tmp_path: Path) -> None:
    partners = tmp_path / "partners"
    shutil.copytree(PARTNERS_DIR, partners)
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{(tmp_path / 'gw.db').as_posix()}",
        partners_dir=partners,
        maps_dir=MAPS_DIR,
    )
    rt = build_runtime(settings, clock=FixedClock(NOW))
    try:
        with pytest.raises(UnknownPartnerError):
            rt.partners.get("delta-castings")
        (partners / "delta-castings.yaml").write_text(NEW_PARTNER, encoding="utf-8")

        registry, _ = rt.reload_config()

        assert rt.partners is registry
        assert rt.partners.get("delta-castings").name == "Delta Castings GmbH"
        (partners / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
        with pytest.raises(PartnerConfigError, match=r"broken\.yaml"):
            rt.reload_config()
        assert rt.partners is registry  # the running configuration is unchanged
    finally:
        rt.close()
