import { TwilioError } from '../core/errors.ts';

/**
 * Twilio's Conversations error codes (50xxx), each as documented on twilio.com/docs/api/errors/<code>.
 * Where Twilio documents no specific code the generic ones from core/errors.ts apply (20001, 20404).
 */
const err = (code: number, status: number) => (message: string) => new TwilioError(code, status, message);

/** 50211: Identity given together with MessagingBinding.Address / ProxyAddress. */
export const identityWithBinding = err(50211, 400);
/** 50303: Attributes too long. */
export const attributesTooLong = err(50303, 400);
/** 50353: a conversation with this unique name already exists. */
export const uniqueNameTaken = err(50353, 409);
/** 50360: conversation webhook not found. */
export const webhookNotFound = err(50360, 404);
/** 50361: at most five conversation-scoped webhooks. */
export const tooManyWebhooks = err(50361, 400);
/** 50362: at most five trigger keywords. */
export const tooManyTriggers = err(50362, 400);
/** 50364: Target is not webhook, trigger or studio. */
export const invalidWebhookTarget = err(50364, 400);
/** 50365: a Configuration.Filters value is not a known event. */
export const invalidWebhookFilter = err(50365, 400);
/** 50366: a trigger keyword is empty or longer than 248 characters. */
export const invalidWebhookTrigger = err(50366, 400);
/** 50367: Configuration.FlowSid missing or not an FW SID. */
export const invalidWebhookFlowSid = err(50367, 400);
/** 50368: Target not provided. */
export const webhookTargetMissing = err(50368, 400);
/** 50369: Configuration.Url not provided. */
export const webhookUrlMissing = err(50369, 400);
/** 50370: Configuration.Filters not provided. */
export const webhookFiltersMissing = err(50370, 400);
/** 50371: Configuration.Triggers not provided. */
export const webhookTriggersMissing = err(50371, 400);
/** 50372: webhook URL longer than 512 characters. */
export const webhookUrlTooLong = err(50372, 400);
/** 50375: Timers.Inactive below one minute. */
export const inactiveTimerTooShort = err(50375, 400);
/** 50376: Timers.Closed below ten minutes. */
export const closedTimerTooShort = err(50376, 400);
/** 50377: the conversation is closed, which is final. */
export const conversationClosed = err(50377, 400);
/** 50379: Timers.Inactive is not an ISO 8601 duration. */
export const inactiveTimerInvalid = err(50379, 400);
/** 50380: Timers.Closed is not an ISO 8601 duration. */
export const closedTimerInvalid = err(50380, 400);
/** 50384: a conversation cannot be created closed. */
export const initialStateClosed = err(50384, 400);
/** 50390: a unique name must not look like a conversation SID. */
export const uniqueNameLooksLikeSid = err(50390, 400);
/** 50407: invalid messaging binding address. */
export const invalidBindingAddress = err(50407, 400);
/** 50411: MessagingBinding.Address is empty. */
export const emptyBindingAddress = err(50411, 400);
/** 50416: this address and proxy address are already bound in an open conversation. */
export const bindingInUse = err(50416, 409);
/** 50433: a chat participant with this identity is already in the conversation. */
export const participantExists = err(50433, 409);
/** 50437: a group (projected / proxy-less) participant matching this one already exists. */
export const groupParticipantExists = err(50437, 409);
/** 50444: an identity can be added only to a participant without one that has a projected address. */
export const cannotAddIdentity = err(50444, 400);
/** 50504: message body too long. */
export const bodyTooLong = err(50504, 400);
/** 50100: a RoleSid names no role of the service, or one of the wrong type. */
export const roleNotFound = err(50100, 400);
/** 50104: a permission a role of its type cannot hold. */
export const permissionNotFound = err(50104, 400);
/** 50105: Type is not service or conversation. */
export const invalidRoleType = err(50105, 400);
/** 50107: the identity's roles do not grant the permission the action needs. */
export const userUnauthorized = err(50107, 403);
/** 50201: a user with this identity already exists in the service. */
export const userExists = err(50201, 409);
/** 50204: Identity not given. */
export const identityMissing = err(50204, 400);
/** 50206: an identity must not look like a user SID. */
export const identityLooksLikeSid = err(50206, 400);
