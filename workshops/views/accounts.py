"""Labber accounts without the Django admin: staff create them (the labber chooses a
password from an email), or anyone signs up when LABBET_OPEN_SIGNUP is on."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from labbet import limits
from labbet.addresses import client_address
from labbet.mail import one_line
from workshops.actions.setup import create_labber_account, sign_up
from workshops.forms import LabberAccountForm, SignupForm


def send_welcome(request: HttpRequest, user) -> None:
    """The link with which a new labber chooses their password (Django's reset link)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "link": request.build_absolute_uri(path), "by": request.user}
    subject = one_line(render_to_string("registration/labber_welcome_subject.txt", context))
    body = render_to_string("registration/labber_welcome_email.txt", context)
    send_mail(subject, body, None, [user.email])


@login_required
def new_labber(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied
    form = LabberAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = create_labber_account(**form.cleaned_data)
        send_welcome(request, user)
        messages.success(
            request,
            _("%(name)s has an account now; we emailed them a link to choose a password.")
            % {"name": user.get_full_name() or user.get_username()},
        )
        return redirect("labber-create")
    status = 400 if form.errors else 200
    return render(request, "registration/labber_create.html", {"form": form}, status=status)


def signup(request: HttpRequest) -> HttpResponse:
    if not settings.LABBET_OPEN_SIGNUP:
        raise Http404("Sign-up is not open here")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to Labbet! Create your first workshop."))
        return redirect("workshops:dashboard")
    status = 400 if form.errors else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def signin_locked(request: HttpRequest, response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once an account or an address has failed too often: the sign-in
    page again, with why and for how long (AXES_LOCKOUT_CALLABLE)."""
    locked = _(
        "Too many wrong passwords for this account or from this network. "
        "Wait %(minutes)d minutes, then try again, or reset your password."
    ) % {"minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    context = {
        "form": form,
        "locked": locked,
        "open_signup": settings.LABBET_OPEN_SIGNUP,
        "next": "",
    }
    return render(request, "registration/login.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, throttled per account and per address: a flood of reset
    emails neither reaches a labber's inbox nor comes from one network."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        within = limits.hit("reset_address", client_address(self.request))
        within = limits.hit("reset_account", email) and within
        if not within:
            form.add_error(
                "email",
                _(
                    "Too many reset links were asked for lately. Wait a quarter of an hour, "
                    "or use the last link we sent."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


class LoginView(auth_views.LoginView):
    """Django's sign-in, telling the page whether the open sign-up is on."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"open_signup": settings.LABBET_OPEN_SIGNUP}
