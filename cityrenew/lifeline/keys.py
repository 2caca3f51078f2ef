"""Per-device keys (设备密钥) and their authentication on the SensorThings API and MQTT.

A key is 32 random bytes (URL-safe text) shown once when issued; only its SHA-256 is stored (a random
key needs no slow password hash, and a check must keep up with thousands of readings a second). A
device authenticates with HTTP Basic (user name = the device code, password = the key) or, on MQTT, the
same pair as the broker login (the broker keeps its own PBKDF2 entry of the key, made here:
:mod:`cityrenew.lifeline.broker`). Re-issuing replaces the key; revoking refuses every later reading of the
device with a clear error and its broker login. Both are audited (the hashes are not written to the audit log).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from .broker import password_entry
from .models import Device


def _digest(key: str) -> str:
    return "sha256$" + hashlib.sha256(key.encode()).hexdigest()


def issue_key(device: Device) -> str:
    """A new key for ``device`` (returned once; the old one stops working, on the broker too)."""
    key = secrets.token_urlsafe(32)
    device.key_hash = _digest(key)
    device.mqtt_hash = password_entry(key)
    device.key_revoked = False
    device.save()
    return key


def revoke_key(device: Device) -> None:
    device.key_revoked = True
    device.save()


def keyed_device(code: str) -> Device | None:
    """The device with this code that has been issued a key (revoked or not), or None."""
    return Device.objects.filter(code=code).exclude(key_hash="").first()


def key_matches(device: Device, key: str) -> bool:
    return hmac.compare_digest(device.key_hash, _digest(key))


class DeviceKeyAuthentication(authentication.BaseAuthentication):
    """HTTP Basic where the user name is a device code: authenticates the device (``request.auth``);
    ``request.user`` stays anonymous (a device is not a person). Other Basic logins pass on to the next
    authenticator."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"basic":
            return None
        try:
            code, _, key = base64.b64decode(header[1]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        device = keyed_device(code)  # one query per request: the device, or a user's Basic login
        if device is None:
            return None
        if not key_matches(device, key):
            raise exceptions.AuthenticationFailed("设备编码或设备密钥不正确")
        if device.key_revoked:
            raise exceptions.AuthenticationFailed(f"设备 {device.code} 的密钥已吊销，读数不予接收")
        return AnonymousUser(), device

    def authenticate_header(self, request):
        return 'Basic realm="CityRenew SensorThings"'
