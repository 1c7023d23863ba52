//! `/trap-users` (admin): the SNMPv3 users whose traps and informs Vigie accepts (list, add,
//! remove). They are credentials: every operation needs the admin role, and changes are audited.

use actix_web::{delete, get, post, web, HttpResponse};

use crate::api::access::{Admin, Authorized};
use crate::api::error::{on_disk, ApiError, ApiErrorBody};
use crate::api::extract::JsonBody;
use crate::api::views::{NewTrapUser, TrapUserView};
use crate::api::AppState;
use crate::logs::trap_users::TrapUsers;
use crate::shown::Shown;
use crate::store::logs::Severity;

/// List the SNMPv3 trap users, those of the configuration file first; no password is shown.
#[utoipa::path(operation_id = "listTrapUsers", tag = "trap-users",
    responses((status = 200, description = "Every trap user", body = Vec<TrapUserView>)))]
#[get("/trap-users")]
pub async fn list(users: web::Data<TrapUsers>, _who: Authorized<Admin>) -> HttpResponse {
    let views: Vec<TrapUserView> = users.list().iter().map(|(u, config)| TrapUserView::new(u, *config)).collect();
    HttpResponse::Ok().json(views)
}

/// Add an SNMPv3 trap user; its traps and informs are accepted at once.
#[utoipa::path(operation_id = "createTrapUser", tag = "trap-users",
    request_body = NewTrapUser,
    responses(
        (status = 201, description = "Added", body = TrapUserView),
        (status = 409, description = "A trap user has this name", body = ApiErrorBody),
        (status = 422, description = "A field is missing or invalid; `field` names it", body = ApiErrorBody),
        (status = 500, description = "The users could not be written (`storage_error`)", body = ApiErrorBody),
        (status = 507, description = "The disk is full (`storage_full`)", body = ApiErrorBody),
    )
)]
#[post("/trap-users")]
pub async fn create(
    state: web::Data<AppState>,
    users: web::Data<TrapUsers>,
    who: Authorized<Admin>,
    body: JsonBody<NewTrapUser>,
) -> Result<HttpResponse, ApiError> {
    let user = body.0.into_user();
    user.check()
        .map_err(|(field, reason)| ApiError::InvalidField { field: camel(field), reason: camel_words(&reason) })?;
    let view = TrapUserView::new(&user, false);
    let name = user.user.clone();
    let shared = users.clone();
    on_disk(move || shared.add(user)).await?;
    log::info!("SNMPv3 trap user {} added.", Shown(&name));
    state.sink.audit(&who.actor(), None, Severity::Notice, format!("added SNMPv3 trap user {}", Shown(&name)));
    Ok(HttpResponse::Created().json(view))
}

/// Remove an SNMPv3 trap user added through the API.
#[utoipa::path(operation_id = "deleteTrapUser", tag = "trap-users",
    params(("user" = String, Path, description = "The user name")),
    responses(
        (status = 204, description = "Removed: its traps are refused from now on"),
        (status = 400, description = "The user comes from the configuration file", body = ApiErrorBody),
        (status = 404, description = "No such user added through the API", body = ApiErrorBody),
        (status = 500, description = "The users could not be written (`storage_error`)", body = ApiErrorBody),
    )
)]
#[delete("/trap-users/{user}")]
pub async fn remove(
    state: web::Data<AppState>,
    users: web::Data<TrapUsers>,
    who: Authorized<Admin>,
    user: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = user.into_inner();
    if users.is_configured(&name) {
        return Err(ApiError::InvalidParameter {
            param: "user".into(),
            reason: format!("'{name}' comes from the configuration file's [[trap_users]]: remove it there"),
        });
    }
    let shared = users.clone();
    let removed = name.clone();
    on_disk(move || shared.remove(&removed)).await?;
    log::info!("SNMPv3 trap user {} removed.", Shown(&name));
    state.sink.audit(&who.actor(), None, Severity::Notice, format!("removed SNMPv3 trap user {}", Shown(&name)));
    Ok(HttpResponse::NoContent().finish())
}

/// `auth_password` as the API spells it: `authPassword`.
fn camel(field: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in field.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

/// The field names inside a rule's text, as the API spells them.
fn camel_words(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains('_') { camel(word) } else { word.to_string() })
        .collect::<Vec<_>>()
        .join(" ")
}
