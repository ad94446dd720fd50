"""The web app's response models: the OpenAPI schema of the JSON API.

Handlers answer with the library's own result dicts; these models only describe them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# --- response models (the OpenAPI schema of the JSON API) ------------------------------


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class HitMetaModel(BaseModel):
    date: str
    author: str
    source: str
    format: str
    url: str
    language: str


class ReasonModel(BaseModel):
    word: str
    found: str
    how: str
    fields: list[str]
    title_score: float


class HitModel(BaseModel):
    rank: int
    doc_id: str
    title: str
    path: str
    section: str
    passage: int
    start: int
    end: int
    text: str
    snippet: str
    score: float
    page: int | None
    meta: HitMetaModel

    why: list[ReasonModel] | None = None  # with explain=true
    also_in: list[str]
    folded: int


class FacetValueModel(BaseModel):
    value: str
    count: int


class FacetsModel(BaseModel):
    """Per facet, its most frequent values (at most 10; years newest first) among all the
    results, each with the number of results holding it."""

    source: list[FacetValueModel]
    year: list[FacetValueModel]
    type: list[FacetValueModel]
    author: list[FacetValueModel]


class SearchModel(BaseModel):
    query: str
    total: int
    took_ms: float
    corrected_query: str | None
    ignored: list[str]
    suggestion: str | None
    limit: int
    offset: int
    also_searched: list[str]
    completed: dict[str, list[str]]
    filters: dict[str, str]  # the filter parameters given (since, until, source...)
    sort: str
    facets: FacetsModel | None  # with facets=true
    hits: list[HitModel]


class PassageModel(BaseModel):
    n: int
    kind: str
    section: str
    start: int
    end: int
    text: str
    page: int | None


class ArticleMetaModel(BaseModel):
    title: str
    date: str
    date_source: str
    author: str
    source: str
    language: str
    url: str
    format: str
    folder: str
    tags: list[str]
    description: str


class ArticleModel(BaseModel):
    doc_id: str
    title: str
    path: str
    text: str
    text_start: int
    passages: list[PassageModel]
    meta: ArticleMetaModel
    first: int
    passage_count: int


class SimilarArticleModel(BaseModel):
    rank: int
    doc_id: str
    title: str
    path: str
    score: float


class SimilarModel(BaseModel):
    doc_id: str
    title: str
    terms: list[str]
    articles: list[SimilarArticleModel]


class StatsModel(BaseModel):
    index_dir: str
    documents: int
    passages: int
    terms: int
    size_bytes: int
    last_update: str
    roots: list[str]


class HealthModel(BaseModel):
    status: str
    index: bool


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad query or parameters"},
    422: {"model": ErrorBody, "description": "Invalid parameters"},
    503: {"model": ErrorBody, "description": "No usable index"},
}
