//! The IAM operations the fake serves and the action each is authorized as (`iam:` and the
//! operation's name, <https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html>);
//! the operations themselves are `crate::iam`.

/// The IAM actions the fake serves, each named `iam:` and the operation.
pub const ACTIONS: &[&str] = &[
    "iam:CreateUser",
    "iam:GetUser",
    "iam:ListUsers",
    "iam:UpdateUser",
    "iam:DeleteUser",
    "iam:CreateAccessKey",
    "iam:ListAccessKeys",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
    "iam:PutUserPolicy",
    "iam:GetUserPolicy",
    "iam:ListUserPolicies",
    "iam:DeleteUserPolicy",
    "iam:PutGroupPolicy",
    "iam:GetGroupPolicy",
    "iam:ListGroupPolicies",
    "iam:DeleteGroupPolicy",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:CreatePolicy",
    "iam:GetPolicy",
    "iam:ListPolicies",
    "iam:DeletePolicy",
    "iam:CreatePolicyVersion",
    "iam:GetPolicyVersion",
    "iam:ListPolicyVersions",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:DetachUserPolicy",
    "iam:ListAttachedUserPolicies",
    "iam:AttachGroupPolicy",
    "iam:DetachGroupPolicy",
    "iam:ListAttachedGroupPolicies",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:CreateGroup",
    "iam:GetGroup",
    "iam:ListGroups",
    "iam:DeleteGroup",
    "iam:AddUserToGroup",
    "iam:RemoveUserFromGroup",
    "iam:ListGroupsForUser",
    "iam:CreateRole",
    "iam:GetRole",
    "iam:ListRoles",
    "iam:DeleteRole",
    "iam:UpdateRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:TagUser",
    "iam:UntagUser",
    "iam:ListUserTags",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
];

/// The IAM action of operation `name`, if the fake serves it.
pub fn iam_action(name: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|a| a.strip_prefix("iam:") == Some(name))
        .copied()
}
