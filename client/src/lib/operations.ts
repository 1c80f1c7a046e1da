// Every GraphQL operation of the worker app, named and typed in one place (types from schema.graphql).
import { graphql } from './graphql.js';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      id
      username
      firstName
      lastName
      isAdmin
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($username: String!, $password: String!) {
    login(input: { username: $username, password: $password }) {
      worker {
        id
        username
        firstName
        lastName
        isAdmin
      }
    }
  }
`);

export const RegistrationQuery = graphql(`
  query Registration {
    registration {
      open
    }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      username
      email
    }
  }
`);

export const ActivateAccountMutation = graphql(`
  mutation ActivateAccount($token: String!) {
    activateAccount(input: { token: $token }) {
      username
    }
  }
`);

export const RequestActivationLinkMutation = graphql(`
  mutation RequestActivationLink($login: String!) {
    requestActivationLink(input: { login: $login }) {
      accepted
    }
  }
`);

export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($login: String!) {
    requestPasswordReset(input: { login: $login }) {
      accepted
    }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($token: String!, $password: String!) {
    resetPassword(input: { token: $token, password: $password }) {
      username
    }
  }
`);

export const AccountFields = graphql(`
  fragment AccountFields on Worker {
    id
    username
    firstName
    lastName
    email
    slackUsername
    communicationPreferences {
      kind
      label
      email
      slack
    }
  }
`);

export const AccountQuery = graphql(
  `
    query Account {
      viewer {
        ...AccountFields
      }
    }
  `,
  [AccountFields],
);

export const UpdateProfileMutation = graphql(
  `
    mutation UpdateProfile($input: UpdateProfileInput!) {
      updateProfile(input: $input) {
        worker {
          ...AccountFields
        }
      }
    }
  `,
  [AccountFields],
);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(input: { currentPassword: $currentPassword, newPassword: $newPassword }) {
      worker {
        id
      }
    }
  }
`);

export const SetCommunicationPreferencesMutation = graphql(
  `
    mutation SetCommunicationPreferences($preferences: [CommunicationPreferenceInput!]!) {
      setCommunicationPreferences(input: { preferences: $preferences }) {
        worker {
          ...AccountFields
        }
      }
    }
  `,
  [AccountFields],
);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout {
      loggedOut
    }
  }
`);

export const EventCursorQuery = graphql(`
  query EventCursor {
    eventCursor
  }
`);

export const DashboardItemFields = graphql(`
  fragment DashboardItemFields on DashboardItem {
    state
    task {
      id
      updatedAt
      status
    }
    step {
      slug
      name
    }
    project {
      id
      shortDescription
      priority
      workflow {
        slug
        name
      }
    }
    assignment {
      id
      level
    }
  }
`);

const GroupFields = graphql(
  `
    fragment GroupFields on DashboardItemConnection {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
      }
      nodes {
        ...DashboardItemFields
      }
    }
  `,
  [DashboardItemFields],
);

export const DashboardQuery = graphql(
  `
    query Dashboard($completedFirst: Int!, $completedAfter: String) {
      dashboard {
        reviewerStatus
        returned(first: 100) {
          ...GroupFields
        }
        inProgress(first: 100) {
          ...GroupFields
        }
        pendingReview(first: 100) {
          ...GroupFields
        }
        pendingProcessing(first: 100) {
          ...GroupFields
        }
        paused(first: 100) {
          ...GroupFields
        }
        completed(first: $completedFirst, after: $completedAfter) {
          ...GroupFields
        }
      }
    }
  `,
  [GroupFields],
);

export const DashboardChangesSubscription = graphql(`
  subscription DashboardChanges($after: String) {
    dashboardChanges(after: $after) {
      taskId
      state
      event {
        cursor
        type
      }
    }
  }
`);

export const AvailableTaskCountsSubscription = graphql(`
  subscription AvailableTaskCounts {
    availableTaskCounts {
      entryLevel
      review
      entryLevelReason
      reviewReason
      inProgress
      maxInProgress
    }
  }
`);

export const RequestTaskMutation = graphql(`
  mutation RequestTask($role: CertificationRole) {
    requestTask(input: { role: $role }) {
      reason
      task {
        id
      }
    }
  }
`);

export const ClaimableTaskQuery = graphql(`
  query ClaimableTask($taskId: ID!) {
    task(id: $taskId) {
      id
      status
      step {
        name
      }
      project {
        shortDescription
      }
    }
  }
`);

export const ClaimTaskMutation = graphql(`
  mutation ClaimTask($taskId: ID!) {
    claimTask(input: { taskId: $taskId }) {
      task {
        id
      }
    }
  }
`);

export const TaskPageQuery = graphql(`
  query TaskPage($taskId: ID!) {
    taskOverview(taskId: $taskId) {
      data
      prerequisites
      isReadOnly
      isReviewer
      isProjectAdmin
      assignment {
        id
        level
        status
      }
      task {
        id
        status
        updatedAt
        step {
          slug
          name
          description
          ui
        }
        project {
          id
          shortDescription
          priority
          status
          scratchpadUrl
          projectData
          workflow {
            slug
            name
          }
          workflowVersion {
            slug
            name
            steps {
              slug
              name
            }
          }
        }
        assignments {
          id
          level
          status
          worker {
            username
            firstName
            lastName
          }
          iterations {
            id
            status
            startDatetime
            endDatetime
            submittedData
            feedback
          }
        }
      }
    }
  }
`);

export const ProjectChangesSubscription = graphql(`
  subscription ProjectChanges($projectId: ID!, $after: String) {
    projectChanges(projectId: $projectId, after: $after) {
      cursor
      actor
      type
      taskId
      data
    }
  }
`);

export const SaveTaskMutation = graphql(`
  mutation SaveTask($taskId: ID!, $data: JSONObject!) {
    saveTask(input: { taskId: $taskId, data: $data }) {
      assignment {
        id
      }
    }
  }
`);

export const SubmitTaskMutation = graphql(`
  mutation SubmitTask($taskId: ID!, $data: JSONObject!, $action: SubmitAction!, $feedback: String) {
    submitTask(input: { taskId: $taskId, data: $data, action: $action, feedback: $feedback }) {
      task {
        id
        status
      }
    }
  }
`);

export const ProjectFilesQuery = graphql(`
  query ProjectFiles($projectId: ID!, $folder: String) {
    project(id: $projectId) {
      files(folder: $folder) {
        path
        size
        contentType
        modifiedAt
        url
      }
    }
  }
`);
