"""Service Catalog: portfolios with their constraints, access and shares, and products."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..web import Console, View, page

# Service Catalog answers at most 20 items at a time (PageToken in, NextPageToken out).
PAGE = 20
# A page shows at most this many of a list.
LIMIT = 500
SHARE_TYPES = ("ACCOUNT", "ORGANIZATIONAL_UNIT", "ORGANIZATION")


def every(view: View, operation: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every page of a Service Catalog list, up to LIMIT items."""
    items: list[dict[str, Any]] = []
    params = {**params, "PageSize": PAGE}
    while len(items) < LIMIT:
        out = view.read("servicecatalog", operation, params)
        if out is None:
            break
        items.extend(out.get(key, []))
        if not out.get("NextPageToken"):
            break
        params["PageToken"] = out["NextPageToken"]
    return items[:LIMIT]


def catalog(view: View) -> Response:
    """The account's portfolios and products."""
    return view.render(
        "catalog.html",
        portfolios=every(view, "ListPortfolios", {}, "PortfolioDetails"),
        products=products_of(view, None),
    )


def products_of(view: View, portfolio_id: str | None) -> list[dict[str, Any]]:
    """The account's products, or a portfolio's (SearchProductsAsAdmin)."""
    params = {"PortfolioId": portfolio_id} if portfolio_id else {}
    found = every(view, "SearchProductsAsAdmin", params, "ProductViewDetails")
    return [d["ProductViewSummary"] for d in found]


def portfolio(view: View) -> Response:
    """A portfolio: its products, constraints, the principals given access, and its shares."""
    portfolio_id = view.request.path_params["portfolio"]
    described = view.read("servicecatalog", "DescribePortfolio", {"Id": portfolio_id})
    params = {"PortfolioId": portfolio_id}
    shares: list[dict[str, Any]] = []
    for kind in SHARE_TYPES:
        shares.extend(
            every(
                view, "DescribePortfolioShares", {**params, "Type": kind}, "PortfolioShareDetails"
            )
        )
    return view.render(
        "portfolio.html",
        portfolio_id=portfolio_id,
        portfolio=(described or {}).get("PortfolioDetail"),
        products=products_of(view, portfolio_id),
        constraints=every(view, "ListConstraintsForPortfolio", params, "ConstraintDetails"),
        principals=every(view, "ListPrincipalsForPortfolio", params, "Principals"),
        shares=shares,
    )


def product(view: View) -> Response:
    """A product as its administrator sees it: versions and the portfolios holding it."""
    product_id = view.request.path_params["product"]
    described = view.read("servicecatalog", "DescribeProductAsAdmin", {"Id": product_id})
    detail = (described or {}).get("ProductViewDetail") or {}
    return view.render(
        "product.html",
        product_id=product_id,
        product=detail.get("ProductViewSummary"),
        artifacts=(described or {}).get("ProvisioningArtifactSummaries", []),
        portfolios=every(
            view, "ListPortfoliosForProduct", {"ProductId": product_id}, "PortfolioDetails"
        ),
    )


def routes(console: Console) -> list[Route]:
    """The Service Catalog pages."""
    return [
        Route("/servicecatalog", page(console, catalog), methods=["GET"]),
        Route("/servicecatalog/portfolios/{portfolio}", page(console, portfolio), methods=["GET"]),
        Route("/servicecatalog/products/{product}", page(console, product), methods=["GET"]),
    ]
