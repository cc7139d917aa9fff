"""How pages for people name a pledge (no imports: the trace and listing pages use it)."""

from decimal import Decimal


def pledge_text(*, unit_name: str, kind: str, value: Decimal, project_title: str) -> str:
    """"每售出 1 斤，捐 0.10 元 给 <project>" (fixed), "每售出 1 斤，捐出售价的 5% 给 <project>"
    (percent)."""
    if kind == "fixed":
        return f"每售出 1 {unit_name}，捐 {Decimal(value):.2f} 元 给 {project_title}"
    percent = f"{Decimal(value):f}".rstrip("0").rstrip(".") if "." in f"{Decimal(value):f}" \
        else f"{Decimal(value):f}"
    return f"每售出 1 {unit_name}，捐出售价的 {percent}% 给 {project_title}"
