public import Hummingbird
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
public import Logging
import MatrixModel

/// The composition root: builds the store, the services, the routes and the HTTP application.
public enum KeyportApplication {
    /// Builds the application for a configuration. Engines and services are chosen here and
    /// injected; nothing below this function reads the configuration.
    public static func build(config: KeyportConfig, logger: Logger) throws -> some ApplicationProtocol {
        let signingKey = try SigningKeyLoader.loadOrGenerate(path: config.signingKeyPath)
        let storage: any KeyportStorage
        switch config.database {
        case .sqlite(let path): storage = try SQLiteStore(path: path)
        }
        let identity = ServerIdentity(serverName: config.serverName, signingKey: signingKey)
        let services = Services(
            storage: storage, identity: identity,
            policy: RegistrationPolicy(
                enabled: config.enableRegistration && config.enableRegistrationWithoutVerification,
                sharedSecret: config.registrationSharedSecret),
            hasher: PasswordHasher(rounds: config.passwordRounds))
        let router = buildRouter(services: services, config: config)
        let responder = KeyportResponder(
            router: router, accounts: services.accounts, maxRequestSize: config.maxRequestSize, logger: logger)
        let listener = config.listeners[0]
        if config.listeners.count > 1 {
            logger.warning("only the first listener is served in this version; the others are ignored")
        }
        return Application(
            responder: responder,
            configuration: .init(address: .hostname(listener.bindAddresses[0], port: listener.port), serverName: nil),
            logger: logger)
    }

    /// Every route group, registered into one table.
    static func buildRouter(services: Services, config: KeyportConfig) -> MatrixRouter {
        var router = MatrixRouter()
        VersionRoutes().register(into: &router)
        AccountRoutes(
            services: services, loginLimiter: RateLimiter(limit: config.loginRateLimit),
            registrationLimiter: RateLimiter(limit: config.registrationRateLimit)
        ).register(into: &router)
        AdminRegisterRoutes(services: services).register(into: &router)
        DeviceRoutes(services: services).register(into: &router)
        KeyRoutes(services: services, claimLimiter: RateLimiter(limit: config.keyClaimRateLimit)).register(
            into: &router)
        CrossSigningRoutes(services: services).register(into: &router)
        ToDeviceRoutes(services: services).register(into: &router)
        SyncRoutes(services: services).register(into: &router)
        RoomRoutes(services: services).register(into: &router)
        return router
    }
}
