"""Service Catalog's logic without HTTP: ids, lookups, and who may launch what.

A principal may launch a product through a portfolio (a launch path) when the
portfolio holds the product, belongs to or was accepted by the principal's account,
and that account associated the principal (its user, role, one of its groups, or an
ARN pattern matching it) with the portfolio.
"""

from __future__ import annotations

import fnmatch
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from airlock.core.context import (
    Principal,
    PrincipalType,
    RequestContext,
)
from airlock.iam.membership import group_arns_of_user
from airlock.platform.clock import Clock

from .errors import InvalidParameters, ResourceNotFound
from .models import (
    Constraint,
    Portfolio,
    PortfolioAcceptance,
    PortfolioPrincipal,
    PortfolioProduct,
    PortfolioShare,
    Product,
    ProvisionedProduct,
    ProvisioningArtifact,
    Record,
)

SERVICECATALOG = "servicecatalog.amazonaws.com"
_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def new_id(prefix: str) -> str:
    """An id as Service Catalog makes them: `port-`, `prod-`, `pa-`… and 13 characters."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(13))


def portfolio_arn(region: str, account: str, portfolio_id: str) -> str:
    """`arn:aws:catalog:<region>:<account>:portfolio/<id>`."""
    return f"arn:aws:catalog:{region}:{account}:portfolio/{portfolio_id}"


def product_arn(region: str, account: str, product_id: str) -> str:
    """`arn:aws:catalog:<region>:<account>:product/<id>`."""
    return f"arn:aws:catalog:{region}:{account}:product/{product_id}"


def provisioned_product_arn(region: str, account: str, name: str, pp_id: str) -> str:
    """`arn:aws:servicecatalog:<region>:<account>:stack/<name>/<pp id>`."""
    return f"arn:aws:servicecatalog:{region}:{account}:stack/{name}/{pp_id}"


def path_id(portfolio_id: str) -> str:
    """The launch path through a portfolio (one per portfolio, so it is stable)."""
    return "lpv3-" + portfolio_id.split("-", 1)[-1]


def stack_name(account: str, pp_id: str) -> str:
    """The stack a provisioned product becomes: `SC-<account>-<pp id>`."""
    return f"SC-{account}-{pp_id}"


def ref(value: str) -> str:
    """An id given as an ARN (`…:portfolio/port-…`) or plain, as the plain id."""
    return value.rsplit("/", 1)[-1]


class CatalogService:
    """Service Catalog's store, bound to one transaction."""

    def __init__(self, session: Session, clock: Clock, platform: Any = None) -> None:
        self.session = session
        self.clock = clock
        self.platform = platform

    # -- portfolios -------------------------------------------------------------------

    def portfolio(self, portfolio_id: str) -> Portfolio | None:
        """A portfolio by id, whoever owns it."""
        return self.session.scalars(
            select(Portfolio).where(Portfolio.portfolio_id == ref(portfolio_id))
        ).first()

    def own_portfolio(self, ctx: RequestContext, portfolio_id: str) -> Portfolio:
        """A portfolio of the caller's account; ResourceNotFoundException otherwise."""
        found = self.portfolio(portfolio_id)
        if found is None or found.account_id != ctx.account_id or found.region != ctx.region:
            raise ResourceNotFound(f"Portfolio {portfolio_id} not found.")
        return found

    def visible_portfolio(self, ctx: RequestContext, portfolio_id: str) -> Portfolio:
        """A portfolio the caller's account owns or imported."""
        found = self.portfolio(portfolio_id)
        if found is None or not self.sees(ctx.account_id, found):
            raise ResourceNotFound(f"Portfolio {portfolio_id} not found.")
        return found

    def sees(self, account_id: str, portfolio: Portfolio) -> bool:
        """Whether the account owns the portfolio or accepted a share of it."""
        if portfolio.account_id == account_id:
            return True
        return self.acceptance(portfolio.portfolio_id, account_id) is not None

    def acceptance(self, portfolio_id: str, account_id: str) -> PortfolioAcceptance | None:
        """The account's acceptance of a share of the portfolio."""
        return self.session.get(PortfolioAcceptance, (portfolio_id, account_id))

    def shares(self, portfolio_id: str, kind: str | None = None) -> Sequence[PortfolioShare]:
        """The portfolio's shares (of one type)."""
        query = select(PortfolioShare).where(PortfolioShare.portfolio_id == portfolio_id)
        if kind is not None:
            query = query.where(PortfolioShare.type == kind)
        return self.session.scalars(query.order_by(PortfolioShare.id)).all()

    def imported(self, account_id: str) -> list[Portfolio]:
        """The portfolios the account accepted, oldest acceptance first."""
        rows = self.session.scalars(
            select(PortfolioAcceptance)
            .where(PortfolioAcceptance.account_id == account_id)
            .order_by(PortfolioAcceptance.created_at)
        ).all()
        found = [self.portfolio(row.portfolio_id) for row in rows]
        return [p for p in found if p is not None]

    def portfolios_of_account(self, ctx: RequestContext) -> list[Portfolio]:
        """The caller's account's own portfolios, oldest first."""
        return list(
            self.session.scalars(
                select(Portfolio)
                .where(Portfolio.account_id == ctx.account_id, Portfolio.region == ctx.region)
                .order_by(Portfolio.created_at, Portfolio.id)
            ).all()
        )

    # -- products -----------------------------------------------------------------------

    def product(self, product_id: str) -> Product | None:
        """A product by id, whoever owns it."""
        return self.session.scalars(
            select(Product).where(Product.product_id == ref(product_id))
        ).first()

    def product_named(self, account_id: str, name: str) -> Product | None:
        """A product of the account by name."""
        return self.session.scalars(
            select(Product).where(Product.account_id == account_id, Product.name == name)
        ).first()

    def own_product(self, ctx: RequestContext, product_id: str) -> Product:
        """A product of the caller's account; ResourceNotFoundException otherwise."""
        found = self.product(product_id)
        if found is None or found.account_id != ctx.account_id or found.region != ctx.region:
            raise ResourceNotFound(f"Product {product_id} not found.")
        return found

    def products_of_account(self, ctx: RequestContext) -> list[Product]:
        """The caller's account's own products, oldest first."""
        return list(
            self.session.scalars(
                select(Product)
                .where(Product.account_id == ctx.account_id, Product.region == ctx.region)
                .order_by(Product.created_at, Product.id)
            ).all()
        )

    def artifacts(self, product_id: str) -> list[ProvisioningArtifact]:
        """A product's versions, oldest first."""
        return list(
            self.session.scalars(
                select(ProvisioningArtifact)
                .where(ProvisioningArtifact.product_id == product_id)
                .order_by(ProvisioningArtifact.created_at, ProvisioningArtifact.id)
            ).all()
        )

    def artifact(self, product: Product, artifact_id: str) -> ProvisioningArtifact:
        """One version of a product; ResourceNotFoundException otherwise."""
        for row in self.artifacts(product.product_id):
            if row.artifact_id == artifact_id:
                return row
        raise ResourceNotFound(f"Provisioning artifact {artifact_id} not found.")

    def artifact_named(self, product: Product, name: str) -> ProvisioningArtifact:
        """One version of a product by name."""
        for row in self.artifacts(product.product_id):
            if row.name == name:
                return row
        raise ResourceNotFound(f"Provisioning artifact {name} not found.")

    def portfolios_of_product(self, product_id: str) -> list[Portfolio]:
        """The portfolios a product is associated with, oldest association first."""
        rows = self.session.scalars(
            select(PortfolioProduct)
            .where(PortfolioProduct.product_id == product_id)
            .order_by(PortfolioProduct.created_at)
        ).all()
        found = [self.portfolio(row.portfolio_id) for row in rows]
        return [p for p in found if p is not None]

    def products_of_portfolio(self, portfolio_id: str) -> list[Product]:
        """The products associated with a portfolio, oldest association first."""
        rows = self.session.scalars(
            select(PortfolioProduct)
            .where(PortfolioProduct.portfolio_id == portfolio_id)
            .order_by(PortfolioProduct.created_at)
        ).all()
        found = [self.product(row.product_id) for row in rows]
        return [p for p in found if p is not None]

    # -- who may launch -------------------------------------------------------------------

    def principals(self, portfolio_id: str, account_id: str) -> Sequence[PortfolioPrincipal]:
        """The principals an account associated with a portfolio."""
        return self.session.scalars(
            select(PortfolioPrincipal)
            .where(
                PortfolioPrincipal.portfolio_id == portfolio_id,
                PortfolioPrincipal.account_id == account_id,
            )
            .order_by(PortfolioPrincipal.created_at, PortfolioPrincipal.principal_arn)
        ).all()

    def identities(self, principal: Principal) -> list[str]:
        """The ARNs a principal answers to: itself, its role, its groups."""
        arns = [principal.arn]
        if principal.source_arn:
            arns.append(principal.source_arn)
        if principal.type is PrincipalType.USER:
            arns.extend(group_arns_of_user(self.session, principal.arn))
        return arns

    def may_use(self, ctx: RequestContext, portfolio: Portfolio) -> bool:
        """Whether the caller is associated with the portfolio in its account."""
        if not self.sees(ctx.account_id, portfolio):
            return False
        identities = self.identities(ctx.principal)
        rows = list(self.principals(portfolio.portfolio_id, ctx.account_id))
        if portfolio.account_id != ctx.account_id and self._shares_principals(
            portfolio, ctx.account_id
        ):
            # Principal sharing: the owner's IAM_PATTERN associations apply in the recipient.
            rows += [
                row
                for row in self.principals(portfolio.portfolio_id, portfolio.account_id)
                if row.principal_type == "IAM_PATTERN"
            ]
        for row in rows:
            if row.principal_type == "IAM" and row.principal_arn in identities:
                return True
            if row.principal_type == "IAM_PATTERN" and any(
                fnmatch.fnmatchcase(arn, _pattern(row.principal_arn, ctx.account_id))
                for arn in identities
            ):
                return True
        return False

    def _shares_principals(self, portfolio: Portfolio, account_id: str) -> bool:
        """Whether the share the account accepted was made with SharePrincipals."""
        acceptance = self.acceptance(portfolio.portfolio_id, account_id)
        if acceptance is None:
            return False
        shares = self.shares(portfolio.portfolio_id)
        if acceptance.share_type == "IMPORTED":
            return any(
                s.type == "ACCOUNT" and s.principal_id == account_id and s.share_principals
                for s in shares
            )
        return any(s.type != "ACCOUNT" and s.share_principals for s in shares)

    def launch_paths(self, ctx: RequestContext, product: Product) -> list[Portfolio]:
        """The portfolios through which the caller may launch the product."""
        return [p for p in self.portfolios_of_product(product.product_id) if self.may_use(ctx, p)]

    def launchable(self, ctx: RequestContext) -> list[Product]:
        """Every product the caller may launch, oldest first."""
        portfolios = self.portfolios_of_account(ctx) + self.imported(ctx.account_id)
        seen: dict[str, Product] = {}
        for portfolio in portfolios:
            if not self.may_use(ctx, portfolio):
                continue
            for product in self.products_of_portfolio(portfolio.portfolio_id):
                seen.setdefault(product.product_id, product)
        return sorted(seen.values(), key=lambda p: (p.created_at, p.id))

    def launch_product(self, ctx: RequestContext, product_id: str) -> Product:
        """A product the caller may see as an end user; ResourceNotFoundException otherwise."""
        product = self.product(product_id)
        if product is None or not self.launch_paths(ctx, product):
            raise ResourceNotFound(f"Product {product_id} not found.")
        return product

    def choose_path(self, ctx: RequestContext, product: Product, wanted: str | None) -> Portfolio:
        """The launch path a call names (PathId), or the only one there is."""
        paths = self.launch_paths(ctx, product)
        if not paths:
            raise ResourceNotFound(f"No launch paths found for resource: {product.product_id}")
        if wanted:
            for portfolio in paths:
                if path_id(portfolio.portfolio_id) == wanted:
                    return portfolio
            raise ResourceNotFound(f"Launch path {wanted} not found.")
        if len(paths) > 1:
            raise InvalidParameters(
                f"There are multiple launch paths for product {product.product_id}; "
                "specify one with PathId."
            )
        return paths[0]

    # -- constraints ------------------------------------------------------------------------

    def constraints(self, portfolio_id: str, product_id: str | None = None) -> list[Constraint]:
        """A portfolio's constraints (on one product), oldest first."""
        query = select(Constraint).where(Constraint.portfolio_id == portfolio_id)
        if product_id is not None:
            query = query.where(Constraint.product_id == product_id)
        return list(self.session.scalars(query.order_by(Constraint.created_at, Constraint.id)))

    def constraint(self, constraint_id: str) -> Constraint | None:
        """A constraint by id."""
        return self.session.scalars(
            select(Constraint).where(Constraint.constraint_id == constraint_id)
        ).first()

    def launch_constraint(self, portfolio_id: str, product_id: str) -> Constraint | None:
        """The product's LAUNCH constraint in the portfolio."""
        for row in self.constraints(portfolio_id, product_id):
            if row.type == "LAUNCH":
                return row
        return None

    # -- provisioned products -----------------------------------------------------------------

    def provisioned(
        self, ctx: RequestContext, *, pp_id: str | None, name: str | None
    ) -> ProvisionedProduct:
        """A live provisioned product of the caller's account by id or name."""
        query = select(ProvisionedProduct).where(
            ProvisionedProduct.account_id == ctx.account_id,
            ProvisionedProduct.region == ctx.region,
            ProvisionedProduct.terminated.is_(False),
        )
        if pp_id:
            query = query.where(ProvisionedProduct.pp_id == pp_id)
        elif name:
            query = query.where(ProvisionedProduct.name == name)
        else:
            raise InvalidParameters(
                "Either ProvisionedProductId or ProvisionedProductName is required."
            )
        found = self.session.scalars(query).first()
        if found is None:
            raise ResourceNotFound(f"Provisioned product {pp_id or name} not found.")
        return found

    def provisioned_products(
        self, ctx: RequestContext, *, terminated: bool = False
    ) -> list[ProvisionedProduct]:
        """The caller's account's live provisioned products (and terminated ones), oldest
        first."""
        query = select(ProvisionedProduct).where(
            ProvisionedProduct.account_id == ctx.account_id,
            ProvisionedProduct.region == ctx.region,
        )
        if not terminated:
            query = query.where(ProvisionedProduct.terminated.is_(False))
        order = (ProvisionedProduct.created_at, ProvisionedProduct.id)
        return list(self.session.scalars(query.order_by(*order)).all())

    def provisioned_by_pp_id(self, pp_id: str) -> ProvisionedProduct | None:
        """A provisioned product by id, terminated or not."""
        return self.session.scalars(
            select(ProvisionedProduct).where(ProvisionedProduct.pp_id == pp_id)
        ).first()

    def record(self, ctx: RequestContext, record_id: str) -> Record:
        """A record of the caller's account."""
        found = self.session.scalars(select(Record).where(Record.record_id == record_id)).first()
        if found is None or found.account_id != ctx.account_id:
            raise ResourceNotFound(f"Record {record_id} not found.")
        return found

    def records_of(self, pp_id: str) -> list[Record]:
        """A provisioned product's records, oldest first."""
        return list(
            self.session.scalars(
                select(Record).where(Record.pp_id == pp_id).order_by(Record.created_at, Record.id)
            ).all()
        )

    def records(self, ctx: RequestContext) -> list[Record]:
        """The caller's account's records, newest first."""
        return list(
            self.session.scalars(
                select(Record)
                .where(Record.account_id == ctx.account_id, Record.region == ctx.region)
                .order_by(Record.created_at.desc(), Record.id.desc())
            ).all()
        )


def _pattern(pattern: str, account_id: str) -> str:
    """An IAM_PATTERN as fnmatch reads it; `arn:aws:iam:::role/…` means the caller's account."""
    parts = pattern.split(":", 5)
    if len(parts) == 6 and parts[4] == "":
        parts[4] = account_id
    return ":".join(parts)
