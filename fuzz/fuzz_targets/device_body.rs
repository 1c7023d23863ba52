//! A device's JSON body as `POST /devices` and `PATCH /devices/{id}` read it: the same
//! deserializer (`parse_json`), defaults (`into_config`, `apply`) and rules (`validate`), then
//! the error answer. Nothing may panic, and every refusal names a field.
#![no_main]

use actix_web::ResponseError;
use libfuzzer_sys::fuzz_target;
use vigie::api::error::ApiError;
use vigie::api::extract::parse_json;
use vigie::api::views::{DevicePatch, NewDevice};
use vigie::device::{DeviceConfig, InvalidField};

fn answer(error: ApiError) {
    let response = error.error_response();
    assert!(response.status().is_client_error(), "{error:?} answered {}", response.status());
}

fn refused(invalid: InvalidField) {
    assert!(!invalid.field.is_empty());
    answer(invalid.into());
}

fn check(config: DeviceConfig) {
    if let Err(invalid) = config.validate() {
        refused(invalid);
    }
}

fuzz_target!(|body: &[u8]| {
    match parse_json::<NewDevice>(body) {
        // Reading the body may already refuse a field (e.g. a tag), naming it.
        Ok(device) => match device.into_config() {
            Ok(config) => check(config),
            Err(invalid) => refused(invalid),
        },
        Err(error) => answer(error),
    }
    match parse_json::<DevicePatch>(body) {
        Ok(patch) => {
            let current = DeviceConfig::v2c("core-sw1", "192.0.2.1", 161, "public");
            // A patch is applied to the stored credentials first (a new protocol needs its
            // password again): a refusal there names its field too.
            match patch.apply(current) {
                Ok(config) => check(config),
                Err(invalid) => refused(invalid),
            }
        }
        Err(error) => answer(error),
    }
});
