"""The title an article is shown with: a template title is replaced.

Pages saved from one site or one manual often share a title that names the site, not the
page ("GNU LilyPond" on every page of a manual, "Download the ebook" on 127 in a row). A
title held by TEMPLATE_MIN articles or more, with different texts, in one folder is such a
template: the article is shown with its first heading that says something else, else its
file name made readable. The index keeps the title as read (searching it still works);
which titles are templates is counted once per index generation from a column (see
:mod:`.collapse`), so that an article added later to the folder changes the titles shown
for all of them at once.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections import Counter
from collections.abc import Iterable
from typing import Any

# Articles of one folder sharing a title from which it is a template. Sections of a manual
# sometimes share a short title ("Options", "Général") a few times; a template is on most
# pages of a site.
TEMPLATE_MIN = 8
# The passages looked at for a heading to show instead (a page's own heading comes early).
HEADINGS_LOOKED_AT = 12
MAX_TITLE_CHARS = 200

Templates = frozenset[tuple[str, str]]  # (folder, title key)


# Every search shows some 30 articles, most of them shown before: their title keys and
# folders are kept (a few MB at most).
@functools.lru_cache(maxsize=8192)
def title_key(title: str) -> str:
    """The key of a title, case and runs of white space set aside."""
    words = " ".join(title.casefold().split())
    return hashlib.blake2b(words.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


@functools.lru_cache(maxsize=8192)
def folder_of(path: str) -> str:
    return posixpath.dirname(path.replace("\\", "/"))


def templates(rows: Iterable[tuple[str, str, str, str]]) -> Templates:
    """The (folder, title key) pairs that are templates, from each article part's (doc_id,
    text key, title key, path)."""
    firsts: list[tuple[str, str, str]] = []  # each article's (title, text, path)
    seen: set[str] = set()
    for doc_id, text, title, path in rows:
        if not title or doc_id in seen:  # an index from before title keys; a later part
            continue
        seen.add(doc_id)
        firsts.append((title, text, path))
    # Only a title held by TEMPLATE_MIN articles can be one: the others' folders are not
    # worked out.
    held = Counter(title for title, _, _ in firsts)
    texts: dict[tuple[str, str], set[str]] = {}
    for title, text, path in firsts:
        if held[title] >= TEMPLATE_MIN:
            texts.setdefault((folder_of(path), title), set()).add(text)
    return frozenset(key for key, found in texts.items() if len(found) >= TEMPLATE_MIN)


def is_template(fields: dict[str, Any], found: Templates) -> bool:
    if not found:
        return False
    folder = folder_of(str(fields.get("path", "")))
    if folder not in _folders(found):  # most folders have none
        return False
    return (folder, title_key(str(fields.get("title", "")))) in found


@functools.lru_cache(maxsize=8)
def _folders(found: Templates) -> frozenset[str]:
    return frozenset(folder for folder, _ in found)


def shown_title(fields: dict[str, Any], found: Templates) -> str:
    """The title to show for an article part's stored ``fields``."""
    title = str(fields.get("title", ""))
    if not is_template(fields, found):
        return title
    from .documents.build import readable_name
    from .schema import stored_passage_fields

    own = title_key(title)
    for n in range(min(len(fields.get("passages", ())), HEADINGS_LOOKED_AT)):
        _, kind, _, _, _, text = stored_passage_fields(fields, n)
        heading = " ".join(text.split())
        if kind == "heading" and heading and title_key(heading) != own:
            return heading[:MAX_TITLE_CHARS]
    return readable_name(posixpath.basename(str(fields.get("path", "")).replace("\\", "/")))


def with_shown_title(fields: dict[str, Any], found: Templates) -> dict[str, Any]:
    """``fields`` with their title replaced by the one to show (a copy, when it differs)."""
    title = shown_title(fields, found)
    return fields if title == fields.get("title", "") else {**fields, "title": title}
