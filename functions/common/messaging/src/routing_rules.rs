//! Routing and membership rules as configuration managers edit
//! (`GET/PUT /v1/admin/routing-rules`, `/v1/admin/membership-rules`); new conversations
//! follow the version in force.

use super::config::{Replacement, Setting, Versioned};
use crate::app::{App, Cached};
use crate::error::ApiResult;
use domain::identity::Caller;
use domain::membership::MembershipRules;
use domain::routing::RoutingRules;

/// The routing rules with their version.
pub type VersionedRules = Versioned<RoutingRules>;
/// The membership rules with their version.
pub type VersionedMembership = Versioned<MembershipRules>;

impl Setting for RoutingRules {
    const KIND: &'static str = "routing";
    const LABEL: &'static str = "routing rules";
    fn validate(&self) -> ApiResult<()> {
        Ok(RoutingRules::validate(self)?)
    }
    fn cache(app: &App) -> &Cached<Versioned<Self>> {
        &app.routing
    }
}

impl Setting for MembershipRules {
    const KIND: &'static str = "membership";
    const LABEL: &'static str = "membership rules";
    fn validate(&self) -> ApiResult<()> {
        Ok(MembershipRules::validate(self)?)
    }
    fn cache(app: &App) -> &Cached<Versioned<Self>> {
        &app.membership
    }
}

impl App {
    pub async fn get_routing_rules(&self, caller: &Caller) -> ApiResult<VersionedRules> {
        self.stored_setting(caller).await
    }

    pub async fn put_routing_rules(
        &self,
        caller: &Caller,
        edit: Replacement<RoutingRules>,
    ) -> ApiResult<VersionedRules> {
        self.save_setting(caller, edit).await
    }

    pub async fn get_membership_rules(&self, caller: &Caller) -> ApiResult<VersionedMembership> {
        self.stored_setting(caller).await
    }

    pub async fn put_membership_rules(
        &self,
        caller: &Caller,
        edit: Replacement<MembershipRules>,
    ) -> ApiResult<VersionedMembership> {
        self.save_setting(caller, edit).await
    }
}
