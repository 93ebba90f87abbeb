"""Rendering a message type's templates: the team's own file first, then the shipped one.

HTML is autoescaped, so customer text cannot inject markup; the subject and the text part are
rendered without escaping. Templates run in jinja2's sandbox, and an unknown field is an error
rather than an empty string.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from servicebook.resources import data_dir
from servicebook.text import t

OVERRIDE_FOLDER = "邮件模板"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class TemplateProblem(Exception):
    """A template could not be rendered; the message says which and why, in Chinese."""


class _Empty(Exception):
    pass


def _shown(value: object) -> object:
    """What `{{ … }}` prints: never None or NaN. A template that would print one fails, so no
    email shows 「您于 None 提交」; a value a message may lack is tested with {% if %}."""
    if value is None or (isinstance(value, float) and value != value):
        raise _Empty
    return value


def one_line(text: object) -> str:
    """Header-safe text: no line breaks, no control characters, no runs of spaces."""
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", str(text or ""))).strip()


def override_folder(workbook: Path) -> Path:
    return workbook.parent / OVERRIDE_FOLDER


class Renderer:
    def __init__(self, override: Path | None = None):
        # jinja2 is loaded here, when emails are composed: a run with none to send never pays for it.
        from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError
        from jinja2.sandbox import SandboxedEnvironment

        self.template_error = TemplateError
        folders = [str(override)] if override and override.is_dir() else []
        loader = ChoiceLoader([FileSystemLoader(f) for f in [*folders, str(data_dir("templates"))]])
        common = {"loader": loader, "undefined": StrictUndefined, "keep_trailing_newline": True, "finalize": _shown}
        self.html = SandboxedEnvironment(autoescape=True, **common)
        self.text = SandboxedEnvironment(autoescape=False, **common)

    @contextlib.contextmanager
    def _problems(self, key: str) -> Iterator[None]:
        """A template that cannot be rendered, said in Chinese, naming it."""
        try:
            yield
        except self.template_error as error:
            raise TemplateProblem(t("mail.template_error", template=key, error=str(error))) from error
        except _Empty:
            raise TemplateProblem(t("mail.template_empty", template=key)) from None

    def render(self, key: str, context: dict) -> Rendered:
        with self._problems(key):
            module = self.text.get_template(f"{key}.txt.j2").make_module(context)
            subject = one_line(getattr(module, "subject", ""))
            html = self.html.get_template(f"{key}.html.j2").render(context)
        if not subject:
            raise TemplateProblem(t("mail.template_no_subject", template=key))
        return Rendered(subject, str(module).strip() + "\n", html)

    def render_robot(self, key: str, context: dict) -> tuple[str, str]:
        """(title, text) of a group-robot post, from `<key>.robot.j2`."""
        with self._problems(key):
            module = self.text.get_template(f"{key}.robot.j2").make_module(context)
        return one_line(getattr(module, "subject", "")), str(module).strip()
