//! What each role may do, decided on the server for every route.

use liveguard_core::Role;

/// A protected action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// See the dashboard and one's own account.
    ViewDashboard,
    /// Screen text with the engine.
    Scan,
    /// List users.
    ViewUsers,
    /// Create users, change roles, disable accounts.
    ManageUsers,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// See and revoke everyone's API tokens.
    ManageAllTokens,
    /// Browse the audit log and its proofs.
    ViewAudit,
    /// Download an audit bundle.
    ExportAudit,
    /// Create and change products (master data).
    ManageProducts,
    /// Write submissions (scripts, product copy, promo images) for review.
    Submit,
    /// See submissions and act on them (the workflow decides which level a role may sign).
    ViewReviews,
    /// See live sessions, their consoles, alerts and reports.
    ViewLive,
    /// Run live sessions: create, start, end, send events, act on alerts, moderate comments.
    OperateLive,
    /// Close promise follow-ups (保价, 赠品, 赔付) from live sessions.
    FollowUp,
    /// Put live records under legal hold or release them.
    LegalHold,
    /// Record prize claims, shipments, redemptions and forfeits of lottery winners.
    HandlePrizes,
    /// See personal data (winners' delivery data, complainants' contact data) unmasked.
    ViewPersonalData,
    /// See consumer-desk cases, their clocks and the desk dashboard.
    ViewCases,
    /// Open and work consumer-desk cases: replies, returns, assignment, escalations.
    WorkCases,
}

impl Permission {
    /// Every permission (for tests that walk the matrix).
    pub const ALL: &'static [Permission] = &[
        Permission::ViewDashboard,
        Permission::Scan,
        Permission::ViewUsers,
        Permission::ManageUsers,
        Permission::ManageOwnTokens,
        Permission::ManageAllTokens,
        Permission::ViewAudit,
        Permission::ExportAudit,
        Permission::ManageProducts,
        Permission::Submit,
        Permission::ViewReviews,
        Permission::ViewLive,
        Permission::OperateLive,
        Permission::FollowUp,
        Permission::LegalHold,
        Permission::HandlePrizes,
        Permission::ViewPersonalData,
        Permission::ViewCases,
        Permission::WorkCases,
    ];
}

/// The permission matrix.
pub fn allowed(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        ViewDashboard => true,
        Scan => !matches!(role, Auditor),
        ViewUsers => matches!(role, Admin | ComplianceLead | Auditor),
        ManageUsers => matches!(role, Admin),
        ManageOwnTokens => !matches!(role, Auditor | Streamer),
        ManageAllTokens => matches!(role, Admin),
        ViewAudit => matches!(role, Admin | ComplianceLead | Legal | Auditor),
        ExportAudit => matches!(role, Admin | ComplianceLead | Auditor),
        ManageProducts => matches!(role, Admin | ComplianceLead | OpsManager | OpsReviewer),
        Submit => matches!(
            role,
            Admin | ComplianceLead | OpsManager | OpsReviewer | Streamer
        ),
        ViewReviews => !matches!(role, CustomerService),
        ViewLive => !matches!(role, Streamer),
        OperateLive => matches!(role, Admin | ComplianceLead | OpsManager | OpsReviewer),
        FollowUp => matches!(
            role,
            Admin | ComplianceLead | OpsManager | OpsReviewer | CustomerService
        ),
        LegalHold => matches!(role, Admin | ComplianceLead | Legal),
        HandlePrizes => matches!(role, ComplianceLead | OpsManager | CustomerService),
        // Those who ship prizes and the lead answering for them; not the administrator.
        ViewPersonalData => matches!(role, ComplianceLead | CustomerService),
        // Customer service works cases; the compliance lead and legal see all and handle
        // escalations; managers and auditors read; streamers and reviewers do not need it.
        ViewCases => matches!(
            role,
            Admin | ComplianceLead | Legal | OpsManager | CustomerService | Auditor
        ),
        WorkCases => matches!(role, ComplianceLead | Legal | CustomerService),
    }
}
