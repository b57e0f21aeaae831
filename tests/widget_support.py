"""Shared by the widget tests: sample notices, settings and partners files.

The registry comes from tests.web_support's `bundled_holder` (compiled once per session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from verifier.settings import Settings

SCAM = ("【网络仲裁委员会】您的案件已立案，请于24小时内联系专员13800138000处理，"
        "否则将通知您的家人和通讯录好友。")
GENUINE = ("【北京市朝阳区人民法院】您有一份诉讼文书待签收，请登录 https://zxfw.court.gov.cn 查看，"
           "如有疑问请拨打12368。")


def widget_settings(**over: Any) -> Settings:
    base: dict[str, Any] = {"network_checks": "off", "rate_limit": "100000/second"}
    return Settings(**(base | over))


def write_partners(directory: Path, partners: list[dict[str, Any]]) -> Path:
    path = directory / "partners.yaml"
    path.write_text(yaml.safe_dump(partners, allow_unicode=True), encoding="utf-8")
    return path
