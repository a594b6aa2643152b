"""Login and logout of customs accounts (F-10)."""
from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import LoginForm
from portal.domain.passwords import verify_secret
from portal.extensions import db
from portal.login import login_account, logout_current
from portal.models import Account
from portal.web import audit_request


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        account = db.session.scalar(
            select(Account).where(Account.customs_id == g.tenant.id, Account.email == email)
        )
        if account is not None and account.active and verify_secret(account.password_hash, form.password.data):
            login_account(account, remember=form.remember.data)
            audit_request("login.success", actor_type="account", actor_id=account.id,
                          actor_label=account.email, object_type="account", object_id=account.id)
            db.session.commit()
            return redirect(url_for("home.index"), code=303)
        audit_request("login.failure", actor_label=email)
        db.session.commit()
        form.form_errors.append("The email or password is not correct.")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        audit_request("logout")
        logout_current(current_user)
        db.session.commit()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"), code=303)
