using Drover.Server.Storage;

namespace Drover.Server.Discovery;

/// <summary>A parsed check: the check to store, and whether its initial Status was given (else an existing check's status is kept).</summary>
public sealed record CheckRegistration(ExternalCheck Check, bool StatusGiven);

/// <summary>A parsed service with its checks, as ExternalServices registers it (parsed by Consul.RegistrationReader).</summary>
public sealed record ServiceRegistration(ExternalService Service, IReadOnlyList<CheckRegistration> Checks);
