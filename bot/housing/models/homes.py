"""Properties, the tenancies on them and homes advertised to let."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
)
from sqlalchemy.orm import relationship
from sqlalchemy.sql.expression import false

from bot.housing.coltypes import EnumText, Money
from bot.housing.enums import HomeStatus, PropertyType
from bot.housing.models.base import Base, created_at_column, enum_check, updated_at_column


class Property(Base):
    """A home the landlord owns."""

    __tablename__ = "properties"
    __table_args__ = (
        enum_check("property_type", PropertyType),
        CheckConstraint("bedrooms >= 0 AND bedrooms <= 10", name="bedrooms_range"),
    )

    id = Column(Integer, primary_key=True)
    address_line1 = Column(String(120), nullable=False)
    address_line2 = Column(String(120), nullable=True)
    town = Column(String(80), nullable=False)
    postcode = Column(String(8), nullable=False, index=True)
    area = Column(String(60), nullable=False, index=True)
    bedrooms = Column(SmallInteger, nullable=False)
    property_type = Column(EnumText(PropertyType, 16), nullable=False)
    created_at = created_at_column()

    @property
    def one_line_address(self) -> str:
        """Return the address on one line, postcode last."""
        parts = [self.address_line1, self.address_line2, self.town, self.postcode]
        return ", ".join(part for part in parts if part)


class TenancyTenant(Base):
    """Links a tenant to a tenancy (joint tenancies have several)."""

    __tablename__ = "tenancy_tenants"

    tenancy_id = Column(Integer, ForeignKey("tenancies.id", ondelete="CASCADE"), primary_key=True)
    tenant_id = Column(Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True)
    is_lead = Column(Boolean, nullable=False, server_default=false())


class Tenancy(Base):
    """The agreement under which tenants live in a property, identified by its TN reference."""

    __tablename__ = "tenancies"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint("weekly_rent >= 0", name="rent_not_negative"),
    )

    id = Column(Integer, primary_key=True)
    reference = Column(String(8), nullable=False, unique=True)
    property_id = Column(Integer, ForeignKey("properties.id"), nullable=False, index=True)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=True)
    weekly_rent = Column(Money(), nullable=False)
    payment_reference = Column(String(20), nullable=False, unique=True)
    created_at = created_at_column()
    updated_at = updated_at_column()

    property = relationship("Property", lazy="joined")
    tenants = relationship(
        "Tenant", secondary="tenancy_tenants", back_populates="tenancies", order_by="Tenant.id", viewonly=True
    )
    rent_account = relationship("RentAccount", uselist=False, back_populates="tenancy")


class AvailableHome(Base):
    """A home advertised to applicants and transferring tenants."""

    __tablename__ = "available_homes"
    __table_args__ = (
        enum_check("property_type", PropertyType),
        enum_check("status", HomeStatus),
        CheckConstraint("bedrooms >= 0 AND bedrooms <= 10", name="bedrooms_range"),
        Index("ix_available_homes_search", "status", "area", "bedrooms"),
    )

    id = Column(Integer, primary_key=True)
    property_id = Column(Integer, ForeignKey("properties.id", ondelete="SET NULL"), nullable=True)
    area = Column(String(60), nullable=False)
    bedrooms = Column(SmallInteger, nullable=False)
    property_type = Column(EnumText(PropertyType, 16), nullable=False)
    weekly_rent = Column(Money(), nullable=False)
    available_from = Column(Date, nullable=False)
    summary = Column(String(200), nullable=False)
    status = Column(EnumText(HomeStatus, 16), nullable=False)
    created_at = created_at_column()
    updated_at = updated_at_column()
