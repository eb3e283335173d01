extension ApplicationServiceRegistry {
    /// Two services' exclusive user namespaces that some user ID matches, and the shortest such
    /// ID; nil when no pair overlaps or none can be told to (``NamespaceOverlap``'s `undecided`,
    /// which identical expressions are checked for separately). Each example is matched again by
    /// both compiled expressions (ICU, which matches IDs at run time) before it is believed, so a
    /// difference between the two engines can only let a pair through, never refuse one.
    static func exclusiveUserOverlap(
        _ first: ApplicationService, _ second: ApplicationService
    ) -> (first: ApplicationService.Namespace, second: ApplicationService.Namespace, example: String)? {
        for firstNamespace in first.namespaces[.users, default: []] where firstNamespace.exclusive {
            for secondNamespace in second.namespaces[.users, default: []] where secondNamespace.exclusive {
                let verdict = NamespaceOverlap.verdict(firstNamespace.regex, secondNamespace.regex, prefix: "@")
                guard case .overlapping(let example) = verdict, firstNamespace.matches(example),
                    secondNamespace.matches(example)
                else { continue }
                return (firstNamespace, secondNamespace, example)
            }
        }
        return nil
    }
}
