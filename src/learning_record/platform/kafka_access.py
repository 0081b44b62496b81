"""How every Kafka client reaches the brokers: the API's, the worker's own and the ``lr``
commands' aiokafka producers, consumers and admin clients take ``client_options``; Faust's app
takes the same as ``credentials`` (stream/app.py)."""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed

from learning_record.platform.settings import KafkaSettings


def client_options(kafka: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for an aiokafka client: the brokers, TLS and SASL as configured."""
    options: dict[str, Any] = {
        "bootstrap_servers": kafka.bootstrap_servers,
        "security_protocol": kafka.security_protocol,
    }
    context = tls_context(kafka)
    if context is not None:
        options["ssl_context"] = context
    if kafka.sasl_password is not None and kafka.security_protocol.startswith("SASL_"):
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username,
            "sasl_plain_password": kafka.sasl_password.get_secret_value(),
        }
    return options


def tls_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL (the brokers' certificates checked against
    ``tls_ca_file``, or the system's CAs); None in clear."""
    if kafka.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    ca_file = kafka.tls_ca_file
    return ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))


class KafkaAccessRefused(KafkaError):  # type: ignore[misc]
    """The brokers refuse our login or our TLS check fails: trying again will not help."""

    retriable = False


async def access_refused(kafka: KafkaSettings) -> str | None:
    """Why the first broker listed refuses our connection, when retrying cannot help (a SASL
    login refused, a certificate not trusted); None otherwise. aiokafka reports only that it
    could not bootstrap: this asks again, once, when it could not."""
    options = client_options(kafka)
    host, _, port = options.pop("bootstrap_servers").split(",")[0].strip().rpartition(":")
    try:
        connection = await create_conn(host, int(port), request_timeout_ms=5000, **options)
    except SaslAuthenticationFailed as error:
        return f"the SASL login of {kafka.sasl_username!r} was refused: {error}"
    except ssl.SSLCertVerificationError as error:
        return f"the broker's certificate is not trusted (LR_KAFKA__TLS_CA_FILE): {error}"
    except (OSError, KafkaError, TimeoutError):
        return None  # down, or not there yet: worth retrying
    connection.close()
    return None
