"""The SQL unit of work: one session, one transaction per `with` block."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from tms.domain.errors import DuplicateKey
from tms.persistence.repositories import (
    ApiKeyRepository,
    CarrierRepository,
    ConsolidationRunRepository,
    FuelSurchargeRepository,
    ManagerSessionRepository,
    OrderRepository,
    OutboxRepository,
    PickupDirectoryRepository,
    RateCardRepository,
    ShipmentRepository,
    ShippingPolicyRepository,
    TrackingEventRepository,
    WebhookSubscriptionRepository,
    quote_inputs_signature,
)


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.carriers = CarrierRepository(self.session)
        self.rate_cards = RateCardRepository(self.session, self.carriers)
        self.fuel = FuelSurchargeRepository(self.session, self.carriers)
        self.api_keys = ApiKeyRepository(self.session)
        self.manager_sessions = ManagerSessionRepository(self.session)
        self.policies = ShippingPolicyRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.runs = ConsolidationRunRepository(self.session)
        self.shipments = ShipmentRepository(self.session)
        self.pickup_directories = PickupDirectoryRepository(self.session, self.carriers)
        self.tracking = TrackingEventRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.webhooks = WebhookSubscriptionRepository(self.session)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.session.rollback()
        self.session.close()

    def quote_inputs_signature(self) -> tuple[object, ...]:
        return quote_inputs_signature(self.session)

    def commit(self) -> None:
        try:
            self.session.commit()
        except IntegrityError as error:
            self.session.rollback()
            raise DuplicateKey(str(error.orig)) from error

    def rollback(self) -> None:
        self.session.rollback()
