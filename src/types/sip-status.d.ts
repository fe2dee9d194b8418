// sip-status (drachtio-srf's own list of the statuses its Response#send accepts): code → reason phrase.
declare module 'sip-status' {
  const phrases: Readonly<Record<number, string>>;
  export default phrases;
}
