"""Service Catalog's tables: portfolios, products and their versions, who may launch
what, and the provisioned products with their records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from airlock.platform.db import Base


class Portfolio(Base):
    """A portfolio: a named set of products an administrator hands to principals."""

    __tablename__ = "servicecatalog_portfolios"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    portfolio_id: Mapped[str] = mapped_column(String(100), unique=True)
    arn: Mapped[str] = mapped_column(String(300), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(2000), default=None)
    provider_name: Mapped[str] = mapped_column(String(50))
    idempotency_token: Mapped[str] = mapped_column(String(128))
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class Product(Base):
    """A product: what end users launch, in one or more versions (provisioning artifacts)."""

    __tablename__ = "servicecatalog_products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    product_id: Mapped[str] = mapped_column(String(100), unique=True)
    arn: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(8191))
    # Owner, Description, Distributor, Support* as CreateProduct took them.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    product_type: Mapped[str] = mapped_column(String(32))
    idempotency_token: Mapped[str] = mapped_column(String(128))
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]


class ProvisioningArtifact(Base):
    """One version of a product: its CloudFormation template, kept as it was read."""

    __tablename__ = "servicecatalog_provisioning_artifacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(String(100), index=True)
    artifact_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(8192))
    description: Mapped[str] = mapped_column(String(8192), default="")
    type: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    guidance: Mapped[str] = mapped_column(String(16), default="DEFAULT")
    template_url: Mapped[str] = mapped_column(String(2048))
    template_body: Mapped[str] = mapped_column(Text)
    idempotency_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class PortfolioProduct(Base):
    """A product associated with a portfolio."""

    __tablename__ = "servicecatalog_portfolio_products"

    portfolio_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    created_at: Mapped[datetime]


class PortfolioPrincipal(Base):
    """An IAM principal (or ARN pattern) of `account_id` given access to a portfolio.

    The owner's account and every account the portfolio is shared with keep their own.
    """

    __tablename__ = "servicecatalog_portfolio_principals"

    portfolio_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    principal_arn: Mapped[str] = mapped_column(String(1000), primary_key=True)
    principal_type: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]


class Constraint(Base):
    """A constraint on a product in a portfolio (LAUNCH: the role a launch runs as)."""

    __tablename__ = "servicecatalog_constraints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    constraint_id: Mapped[str] = mapped_column(String(100), unique=True)
    account_id: Mapped[str] = mapped_column(String(12), index=True)
    portfolio_id: Mapped[str] = mapped_column(String(100), index=True)
    product_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(2000), default="")
    parameters: Mapped[str] = mapped_column(Text)
    idempotency_token: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]


class PortfolioShare(Base):
    """A portfolio shared with an account, an organization or an organizational unit."""

    __tablename__ = "servicecatalog_portfolio_shares"
    __table_args__ = (UniqueConstraint("portfolio_id", "type", "principal_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    portfolio_id: Mapped[str] = mapped_column(String(100), index=True)
    # ACCOUNT, ORGANIZATION, ORGANIZATIONAL_UNIT or ORGANIZATION_MEMBER_ACCOUNT.
    type: Mapped[str] = mapped_column(String(32))
    principal_id: Mapped[str] = mapped_column(String(100))
    share_tag_options: Mapped[bool] = mapped_column(Boolean, default=False)
    share_principals: Mapped[bool] = mapped_column(Boolean, default=False)
    token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class PortfolioAcceptance(Base):
    """A recipient account's acceptance of a portfolio shared with it."""

    __tablename__ = "servicecatalog_portfolio_acceptances"

    portfolio_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    # IMPORTED (an account share) or AWS_ORGANIZATIONS (a share to an organization node).
    share_type: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class ProvisionedProduct(Base):
    """A launched product: its stack and where its last records left it."""

    __tablename__ = "servicecatalog_provisioned_products"
    __table_args__ = (UniqueConstraint("account_id", "region", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    pp_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    arn: Mapped[str] = mapped_column(String(1224))
    status: Mapped[str] = mapped_column(String(32))
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    idempotency_token: Mapped[str] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(100), index=True)
    artifact_id: Mapped[str] = mapped_column(String(100))
    path_id: Mapped[str] = mapped_column(String(100))
    launch_role_arn: Mapped[str | None] = mapped_column(String(1224), default=None)
    stack_id: Mapped[str | None] = mapped_column(String(1224), default=None)
    # The caller who launched it (UserArn, UserArnSession) and its principal as stored.
    user_arn: Mapped[str] = mapped_column(String(1224))
    user_arn_session: Mapped[str] = mapped_column(String(1224))
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)
    parameters: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    last_record_id: Mapped[str | None] = mapped_column(String(100), default=None)
    last_provisioning_record_id: Mapped[str | None] = mapped_column(String(100), default=None)
    last_successful_record_id: Mapped[str | None] = mapped_column(String(100), default=None)
    terminated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class Record(Base):
    """One request on a provisioned product (provision, update, terminate) and its outcome.

    `phase` is what the worker does next: `launch` (make the stack call as the actor),
    `follow` (read the stack until it settles) or `done`.
    """

    __tablename__ = "servicecatalog_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(100), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    region: Mapped[str] = mapped_column(String(32))
    pp_id: Mapped[str] = mapped_column(String(100), index=True)
    pp_name: Mapped[str] = mapped_column(String(128))
    record_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), index=True)
    phase: Mapped[str] = mapped_column(String(16), index=True)
    product_id: Mapped[str] = mapped_column(String(100))
    artifact_id: Mapped[str] = mapped_column(String(100))
    path_id: Mapped[str] = mapped_column(String(100))
    launch_role_arn: Mapped[str | None] = mapped_column(String(1224), default=None)
    token: Mapped[str] = mapped_column(String(128))
    # What the stack call takes: parameters, tags, and for a terminate RetainPhysicalResources.
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    outputs: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # When the worker next reads the stack, and how long it waited last time.
    next_check_at: Mapped[datetime]
    check_interval: Mapped[float] = mapped_column(default=0.2)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
