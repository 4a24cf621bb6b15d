"""The JWT service: claims, algorithm pinning, expiry, session version, rotation with reuse detection, purge."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from storefront.accounts import api_tokens
from storefront.accounts.jobs import purge_refresh_tokens as purge_job
from storefront.accounts.models import RefreshToken
from storefront.database import utcnow
from storefront.periodic import PERIODIC
from tests.factories import RefreshTokenFactory, UserFactory


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(app, token: str) -> dict:
    with app.app_context():
        return jwt.decode(token, api_tokens.signing_key(), algorithms=["HS256"])


def test_pair_carries_every_claim_and_lifetime(app, session):
    user = UserFactory()
    pair = api_tokens.issue_token_pair(user)
    access, refresh = _claims(app, pair.access_token), _claims(app, pair.refresh_token)
    for claims, kind in ((access, "access"), (refresh, "refresh")):
        assert {"sub", "type", "jti", "iat", "exp", "sv"} <= set(claims)
        assert claims["sub"] == str(user.id) and claims["type"] == kind and claims["sv"] == user.session_version
    assert access["exp"] - access["iat"] == 15 * 60 == pair.expires_in
    assert refresh["exp"] - refresh["iat"] == 14 * 24 * 3600 == pair.refresh_expires_in
    row = session.scalar(select(RefreshToken).where(RefreshToken.jti == refresh["jti"]))
    assert row.user_id == user.id and row.family == refresh["fam"] and row.revoked_at is None
    assert api_tokens.decode_access_token(pair.access_token) is user
    assert jwt.get_unverified_header(pair.access_token)["alg"] == "HS256"


def test_lifetimes_and_key_come_from_config(app, session):
    app.config.update(JWT_ACCESS_TTL=60, JWT_REFRESH_TTL=120, JWT_SECRET_KEY="another-key-for-tokens-at-least-32-bytes")
    user = UserFactory()
    pair = api_tokens.issue_token_pair(user)
    claims = jwt.decode(pair.access_token, "another-key-for-tokens-at-least-32-bytes", algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 60 and pair.refresh_expires_in == 120
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(pair.access_token, app.config["SECRET_KEY"].ljust(32, "x"), algorithms=["HS256"])


def test_expired_access_token_is_refused(app, session):
    user = UserFactory()
    app.config["JWT_ACCESS_TTL"] = -60  # issued already expired (beyond the clock-skew leeway)
    token = api_tokens.issue_token_pair(user).access_token
    with pytest.raises(api_tokens.TokenExpired) as caught:
        api_tokens.decode_access_token(token)
    assert caught.value.status == 401 and caught.value.code == "token_expired"


def test_tampered_signature_and_payload_are_refused(app, session):
    user, other = UserFactory(), UserFactory()
    token = api_tokens.issue_token_pair(user).access_token
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged_payload = _b64({**_claims(app, token), "sub": str(other.id)})
    for bad in (f"{header}.{payload}.{flipped}", f"{header}.{forged_payload}.{signature}"):
        with pytest.raises(api_tokens.TokenError) as caught:
            api_tokens.decode_access_token(bad)
        assert caught.value.code == "invalid_token"


def test_alg_none_and_other_algorithms_are_refused(app, session):
    user = UserFactory()
    claims = _claims(app, api_tokens.issue_token_pair(user).access_token)
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    hs512 = jwt.encode(claims, api_tokens.signing_key() * 2, algorithm="HS512")  # right key, wrong algorithm
    for bad in (unsigned, hs512, "not-a-jwt", ""):
        with pytest.raises(api_tokens.TokenError):
            api_tokens.decode_access_token(bad)


def test_missing_claims_and_wrong_type_are_refused(app, session):
    user = UserFactory()
    pair = api_tokens.issue_token_pair(user)
    claims = _claims(app, pair.access_token)
    for missing in ("jti", "sv", "type", "exp", "iat", "sub"):
        partial = {k: v for k, v in claims.items() if k != missing}
        with pytest.raises(api_tokens.TokenError):
            api_tokens.decode_access_token(jwt.encode(partial, api_tokens.signing_key(), algorithm="HS256"))
    with pytest.raises(api_tokens.TokenError):  # a refresh token does not open the API
        api_tokens.decode_access_token(pair.refresh_token)
    with pytest.raises(api_tokens.TokenError):  # nor is an access token a refresh token
        api_tokens.rotate_refresh(pair.access_token)


def test_session_version_bump_and_deactivation_end_access_tokens(app, session):
    user = UserFactory()
    first = api_tokens.issue_token_pair(user).access_token
    user.session_version += 1  # what a password reset does
    session.flush()
    with pytest.raises(api_tokens.TokenError):
        api_tokens.decode_access_token(first)
    second = api_tokens.issue_token_pair(user).access_token
    assert api_tokens.decode_access_token(second) is user
    user.is_active = False
    session.flush()
    with pytest.raises(api_tokens.TokenError):
        api_tokens.decode_access_token(second)


def test_rotation_replaces_the_token_within_its_family(app, session):
    user = UserFactory()
    first = api_tokens.issue_token_pair(user)
    second = api_tokens.rotate_refresh(first.refresh_token)
    old, new = _claims(app, first.refresh_token), _claims(app, second.refresh_token)
    assert old["fam"] == new["fam"] and old["jti"] != new["jti"]
    session.expire_all()
    old_row = session.scalar(select(RefreshToken).where(RefreshToken.jti == old["jti"]))
    assert old_row.revoked_at is not None and old_row.replaced_by == new["jti"]
    assert api_tokens.decode_access_token(second.access_token) is user


def test_reusing_a_refresh_token_revokes_its_whole_family(app, session):
    user = UserFactory()
    first = api_tokens.issue_token_pair(user)
    other_login = api_tokens.issue_token_pair(user)
    second = api_tokens.rotate_refresh(first.refresh_token)
    with pytest.raises(api_tokens.RefreshTokenReused):
        api_tokens.rotate_refresh(first.refresh_token)
    with pytest.raises(api_tokens.RefreshTokenReused):  # the thief's (or owner's) newer token is dead too
        api_tokens.rotate_refresh(second.refresh_token)
    assert api_tokens.rotate_refresh(other_login.refresh_token)  # another log-in is untouched


def test_revoke_refresh_is_logout(app, session):
    user = UserFactory()
    pair = api_tokens.issue_token_pair(user)
    api_tokens.revoke_refresh(pair.refresh_token)
    api_tokens.revoke_refresh(pair.refresh_token)  # twice is fine
    with pytest.raises(api_tokens.TokenError):
        api_tokens.rotate_refresh(pair.refresh_token)
    with pytest.raises(api_tokens.TokenError):
        api_tokens.revoke_refresh("garbage")


def test_unknown_refresh_token_is_refused(app, session):
    user = UserFactory()
    claims = _claims(app, api_tokens.issue_token_pair(user).refresh_token)
    stranger = jwt.encode({**claims, "jti": "never-stored"}, api_tokens.signing_key(), algorithm="HS256")
    with pytest.raises(api_tokens.TokenError) as caught:
        api_tokens.rotate_refresh(stranger)
    assert not isinstance(caught.value, api_tokens.RefreshTokenReused)


def test_purge_keeps_live_families_and_their_history(app, session):
    now = utcnow()
    live = RefreshTokenFactory(family="live")
    rotated = RefreshTokenFactory(family="live", user=live.user, revoked_at=now)  # reuse detection needs it
    RefreshTokenFactory(family="dead", revoked_at=now)
    RefreshTokenFactory(family="dead", revoked_at=now - timedelta(days=1))
    RefreshTokenFactory(family="old", expires_at=now - timedelta(seconds=1))
    session.commit()
    assert purge_job() == 3
    remaining = set(session.scalars(select(RefreshToken.jti)))
    assert remaining == {live.jti, rotated.jti}
    assert api_tokens.purge_refresh_tokens() == 0
    assert any(job is purge_job for job, _interval in PERIODIC)
    assert session.scalar(select(func.count()).select_from(RefreshToken)) == 2
