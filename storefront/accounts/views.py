"""Accounts pages: register, verify, log in and out, passwords, profile and delivery contacts."""

from __future__ import annotations

import math
import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import RequestEntityTooLarge

from storefront.accounts import services, sessions
from storefront.accounts.errors import ContactNotFound, InvalidToken, TooManyAttempts
from storefront.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ContactForm,
    EmailForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
)
from storefront.accounts.models import Role
from storefront.accounts.navigation import safe_next, sections_for
from storefront.cart.guest import adopt_guest_cart
from storefront.domain_errors import DomainError
from storefront.extensions import db, limiter
from storefront.htmx import error_status, is_partial, render_page_or_partial
from storefront.i18n import is_supported, remember_choice
from storefront.orders.guests import attach_guest_orders
from storefront.security import client_address, current_session, sign_in, sign_out

bp = Blueprint("accounts", __name__)


def _limit(setting: str):
    """A Flask-Limiter limit read from config at request time, so tests and deployments can tune it."""
    return lambda: current_app.config[setting]


def _link(endpoint: str) -> services.LinkBuilder:
    """Turn a token into the absolute URL an e-mail needs (the job may run with no request around)."""
    return lambda token: url_for(endpoint, token=token, _external=True)


def _show_error(form: FlaskForm, error: DomainError) -> None:
    """Put a service's refusal beside the field it is about, or above the form."""
    db.session.rollback()
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _me():
    """The signed-in User itself: services keep it, and login_user() must never be handed the proxy."""
    return current_user._get_current_object()


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


@bp.app_context_processor
def account_menu() -> dict:
    user = current_user if current_user.is_authenticated else None
    return {"account_sections": sections_for(user.role) if user else []}


# --- register and verify --------------------------------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_limit("REGISTER_RATE_LIMIT"), methods=["POST"])
def register():
    """Open a shopper or supplier account and send the verification e-mail."""
    if current_user.is_authenticated:
        return redirect(url_for("catalog.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=Role(form.account_type.data),
                shop_name=form.shop_name.data,
                verify_link=_link("accounts.verify_email"),
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            sign_in(user)
            flash(_("Welcome, %(name)s! We have sent a confirmation link to %(email)s.", name=user.name, email=user.email),
                  "success")
            return redirect(url_for("accounts.confirm_notice"))
    return render_template("accounts/register.html", form=form)


@bp.post("/register/check-email")
@limiter.limit(_limit("ACCOUNTS_CHECK_RATE_LIMIT"))
def check_email():
    """Tell the register form, as the visitor types, whether the e-mail can be used."""
    if not is_partial():
        return redirect(url_for("accounts.register"))
    problem = services.email_problem(request.form.get("email", "")[:1000])
    return render_template("accounts/_email_check.html", problem=problem)


@bp.post("/register/check-password")
@limiter.limit(_limit("ACCOUNTS_CHECK_RATE_LIMIT"))
def check_password():
    """Tell the register form, as the visitor types, whether the password is strong enough."""
    if not is_partial():
        return redirect(url_for("accounts.register"))
    form = request.form
    problem = services.password_problem(
        form.get("password", "")[:1000], email=form.get("email", "")[:300], name=form.get("name", "")[:300]
    )
    return render_template("accounts/_password_check.html", problem=problem)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    """Confirm an e-mail address from the link we sent (the page's button does it, so link scanners can't)."""
    form = ConfirmForm()
    try:
        if form.validate_on_submit():
            user = services.verify_email(token, shop_link=url_for("catalog.index", _external=True))
            attach_guest_orders(user)  # orders placed as a guest with this address are now the account's
            flash(_("Thank you, your e-mail is confirmed."), "success")
            if current_user.is_authenticated and current_user.id == user.id:
                return redirect(url_for("catalog.index"))
            return redirect(url_for("accounts.login"))
        user = services.check_verification_token(token)
    except InvalidToken as error:
        db.session.rollback()
        return render_template("accounts/verify.html", error=error.message, form=form), 400
    return render_template("accounts/verify.html", user=user, form=form)


@bp.get("/confirm-email")
@login_required
def confirm_notice():
    """Ask a signed-in user to confirm their e-mail before anything else."""
    if current_user.is_verified:
        return redirect(url_for("catalog.index"))
    return render_template("accounts/confirm_notice.html", form=EmailForm(email=current_user.email))


@bp.route("/verify/resend", methods=["GET", "POST"])
@limiter.limit(_limit("ACCOUNTS_MAIL_RATE_LIMIT"), methods=["POST"])
def resend_verification():
    """Send a new verification link (the answer is the same whether or not the address is registered)."""
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_verification(form.email.data, _link("accounts.verify_email"))
        flash(_("If an unconfirmed account uses this address, a new confirmation link is on its way."), "success")
        return redirect(url_for("accounts.resend_verification"))
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    return render_template(
        "accounts/email_request.html", form=form, heading=_("Resend the confirmation e-mail"),
        intro=_("Enter the e-mail you registered with and we will send a new confirmation link."),
    )


# --- log in and out -------------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT"), methods=["POST"], deduct_when=_login_failed)
def login():
    """Sign in with e-mail and password; failures are throttled per client address and per account."""
    target = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(target or url_for("catalog.index"))
    form = LoginForm(next=target)
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=client_address())
        except DomainError as error:
            g.login_failed = True  # counted against the client address by the limiter above
            if isinstance(error, TooManyAttempts):
                status, headers = error.status, {"Retry-After": str(error.retry_after)}
            _show_error(form, error)
        else:
            adopt_guest_cart(user)  # what this browser put in the cart as a guest now belongs to the account
            sign_in(user, remember=bool(form.remember.data))
            if not user.is_verified:
                return redirect(url_for("accounts.confirm_notice"))
            return redirect(safe_next(form.next.data) or url_for("catalog.index"))
    return render_template("accounts/login.html", form=form), status, headers


@bp.post("/logout")
def logout():
    """Sign out (a POST, so a link or image elsewhere cannot sign anyone out); the session ends on the server."""
    sign_out()
    flash(_("You have logged out."), "success")
    return redirect(url_for("catalog.index"))


@bp.post("/language")
def set_language():
    """Switch the interface language for this browser and, when signed in, for the account on every device."""
    form = LanguageForm()
    target = safe_next(form.next.data) or url_for("catalog.index")
    if not form.validate_on_submit() or not is_supported(form.locale.data):
        flash(_("Choose one of the shop's languages."), "error")
        return redirect(target)
    remember_choice(form.locale.data)
    if current_user.is_authenticated:
        services.set_locale(_me(), form.locale.data)
    return redirect(target)


# --- password reset -------------------------------------------------------------------------------------


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_limit("ACCOUNTS_MAIL_RATE_LIMIT"), methods=["POST"])
def request_password_reset():
    """E-mail a password reset link (the answer is the same whether or not the address is registered)."""
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, _link("accounts.reset_password"))
        hours = current_app.config["ACCOUNTS_RESET_TOKEN_MAX_AGE"] / 3600
        flash(
            ngettext("If an account uses this address, we have sent it a link to choose a new password (it works "
                     "once, for %(hours)s hour).",
                     "If an account uses this address, we have sent it a link to choose a new password (it works "
                     "once, for %(hours)s hours).", int(hours) if hours == int(hours) else 0, hours=format(hours, "g")),  # 0: "0.5 hours"
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/email_request.html", form=form, heading=_("Reset your password"),
        intro=_("Enter the e-mail of your account and we will send you a link to choose a new password."),
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from an e-mailed link; every session of the account ends."""
    form = NewPasswordForm()
    try:
        if form.validate_on_submit():
            services.reset_password(token, form.password.data)
            sign_out()
            flash(_("Your password has been changed and every session signed out. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"))
        services.check_reset_token(token)
    except InvalidToken as error:
        db.session.rollback()
        return render_template("accounts/reset_password.html", error=error.message, form=form), 400
    except DomainError as error:
        _show_error(form, error)
    return render_template("accounts/reset_password.html", form=form)


# --- profile --------------------------------------------------------------------------------------------


def _profile_page(**forms: FlaskForm) -> str:
    forms.setdefault("profile_form", ProfileForm(obj=current_user, formdata=None))
    forms.setdefault("email_form", ChangeEmailForm(formdata=None))
    forms.setdefault("password_form", ChangePasswordForm(formdata=None))
    return render_template("accounts/profile.html", **forms, **_sessions_context())


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    """Show the profile and save the name."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(_me(), name=form.name.data)
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(profile_form=form)


@bp.post("/profile/email")
@login_required
def change_email():
    """Send a confirmation link to a new e-mail address; it replaces the old one once followed."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            new_email = services.request_email_change(
                _me(), new_email=form.email.data, password=form.password.data,
                confirm_link=_link("accounts.confirm_email_change"),
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(_("We have sent a confirmation link to %(email)s. Your address changes once you follow it.",
                    email=new_email),
                  "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(email_form=form)


@bp.route("/profile/email/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str):
    """Switch to the new e-mail address from the link sent to it."""
    form = ConfirmForm()
    try:
        if form.validate_on_submit():
            user = services.confirm_email_change(token)
            attach_guest_orders(user)
            flash(_("Your e-mail address is now %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.login"))
        _user, new_email = services.check_email_change_token(token)
    except DomainError as error:
        db.session.rollback()
        return render_template("accounts/confirm_email_change.html", error=error.message, form=form), 400
    return render_template("accounts/confirm_email_change.html", new_email=new_email, form=form)


@bp.post("/profile/password")
@login_required
def change_password():
    """Change the password; other sessions end, this one stays signed in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                _me(), current_password=form.current_password.data, new_password=form.password.data,
                keep=current_session(),
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.profile"))
    return _profile_page(password_form=form)


# --- sessions -------------------------------------------------------------------------------------------


def _sessions_context() -> dict:
    this = current_session()
    return {"user_sessions": sessions.active_sessions(_me()), "this_session_id": this.id if this else None}


def _sessions_section():
    return render_page_or_partial("accounts/sessions.html", "accounts/_sessions.html", **_sessions_context())


@bp.get("/profile/sessions")
@login_required
def list_sessions():
    """Where this account is signed in: each browser and API client, with a button to end it."""
    return _sessions_section()


@bp.post("/profile/sessions/<id:session_id>/revoke")
@login_required
def revoke_session(session_id: int):
    """End one session of this account; ending this browser's own is a log-out."""
    this = current_session()
    try:
        services.revoke_session(_me(), session_id)
    except sessions.SessionNotFound:
        abort(404)
    if this is not None and this.id == session_id:
        sign_out()
        flash(_("You have logged out."), "success")
        return _go(url_for("accounts.login"))
    if is_partial():
        return _sessions_section()
    flash(_("That session has been signed out."), "success")
    return redirect(url_for("accounts.list_sessions"))


@bp.post("/profile/sessions/revoke-all")
@login_required
def sign_out_everywhere():
    """End every session of this account, this browser's and the API's included."""
    services.sign_out_everywhere(_me())
    sign_out()
    flash(_("You have been signed out everywhere."), "success")
    return _go(url_for("accounts.login"))


def _go(target: str):
    """Navigate, from a full-page form or an HTMX swap alike (a fragment swap would bury the login page)."""
    if is_partial():
        return "", 204, {"HX-Redirect": target}
    return redirect(target)


# --- delivery contacts ----------------------------------------------------------------------------------


def _contacts_section(add_form: ContactForm | None = None, status: int = 200):
    add_form = add_form or ContactForm(prefix="new", formdata=None)
    html = render_page_or_partial(
        "accounts/contacts.html", "accounts/_contacts.html",
        contacts=services.list_contacts(_me()), add_form=add_form,
    )
    return html, status


def _contact_row(contact, form: ContactForm | None = None, status: int = 200):
    """One contact: its row, or its inline edit form (a full page when there is no HTMX)."""
    template = "accounts/_contact.html" if is_partial() else "accounts/contact_edit.html"
    if form is None and not is_partial():
        form = ContactForm(prefix=f"c{contact.id}", obj=contact, formdata=None)
    return render_template(template, contact=contact, form=form), status


def _own_contact(contact_id: int):
    try:
        return services.get_contact(_me(), contact_id)
    except ContactNotFound:
        abort(404)


@bp.get("/profile/contacts")
@login_required
def list_contacts():
    """List the delivery contacts with a form to add one."""
    return _contacts_section()


@bp.post("/profile/contacts")
@login_required
def add_contact():
    """Add a delivery contact."""
    form = ContactForm(prefix="new")
    if form.validate_on_submit():
        try:
            services.add_contact(_me(), form.to_data())
        except DomainError as error:
            _show_error(form, error)
        else:
            if is_partial():
                return _contacts_section()
            flash(_("Delivery contact added."), "success")
            return redirect(url_for("accounts.list_contacts"))
    return _contacts_section(form, error_status(422))


@bp.get("/profile/contacts/<id:contact_id>")
@login_required
def show_contact(contact_id: int):
    """Show one delivery contact (HTMX: its row, e.g. when an inline edit is cancelled)."""
    contact = _own_contact(contact_id)
    if not is_partial():
        return redirect(url_for("accounts.list_contacts"))
    return _contact_row(contact)


@bp.get("/profile/contacts/<id:contact_id>/edit")
@login_required
def edit_contact(contact_id: int):
    """Show the form that edits one delivery contact (inline with HTMX)."""
    contact = _own_contact(contact_id)
    return _contact_row(contact, ContactForm(prefix=f"c{contact.id}", obj=contact, formdata=None))


@bp.post("/profile/contacts/<id:contact_id>")
@login_required
def update_contact(contact_id: int):
    """Save changes to one delivery contact."""
    contact = _own_contact(contact_id)
    form = ContactForm(prefix=f"c{contact.id}")
    if form.validate_on_submit():
        try:
            contact = services.update_contact(_me(), contact_id, form.to_data())
        except DomainError as error:
            _show_error(form, error)
            contact = _own_contact(contact_id)
        else:
            if is_partial():
                return _contact_row(contact)
            flash(_("Delivery contact saved."), "success")
            return redirect(url_for("accounts.list_contacts"))
    return _contact_row(contact, form, error_status(422))


@bp.post("/profile/contacts/<id:contact_id>/delete")
@login_required
def delete_contact(contact_id: int):
    """Delete one delivery contact."""
    try:
        services.delete_contact(_me(), contact_id)
    except ContactNotFound:
        abort(404)
    if is_partial():
        return _contacts_section()
    flash(_("Delivery contact deleted."), "success")
    return redirect(url_for("accounts.list_contacts"))


# --- errors on these pages ------------------------------------------------------------------------------


@bp.errorhandler(RateLimitExceeded)
def throttled(error: RateLimitExceeded):
    """Explain a throttle in words on the page that was throttled, with the wait."""
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current else 60
    minutes = max(1, math.ceil(wait / 60))
    message = ngettext("Too many attempts from your network. Please wait %(num)d minute and try again.",
                       "Too many attempts from your network. Please wait %(num)d minutes and try again.", minutes)
    headers = {"Retry-After": str(wait)}
    if request.endpoint == "accounts.login":
        form = LoginForm()
        form.form_errors.append(message)
        return render_template("accounts/login.html", form=form), 429, headers
    if is_partial():
        return render_template("errors/_error.html", code=429, error=error), 429, headers
    return render_template("accounts/problem.html", title=_("Please slow down"), message=message), 429, headers


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError):
    """Say plainly why a form without its security token was refused."""
    message = _("This form was sent without its security token, or the token has expired. Reload the page and "
                "try again.")
    if is_partial():
        return render_template("errors/_error.html", code=400, error=error), 400
    return render_template("accounts/problem.html", title=_("Please reload the page"), message=message), 400


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge):
    """Refuse absurdly long input with a message about the form, not about files."""
    message = _("What you sent is far longer than any field here accepts (a name has at most %(count)s characters). "
                "Please go back and shorten it.", count=services.MAX_NAME)
    return render_template("accounts/problem.html", title=_("Too much text"), message=message), 413
